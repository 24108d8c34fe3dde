"""The offline all-MiniLM-L6-v2 embedder: shape, norm, determinism, batching, meaning."""

from __future__ import annotations

import numpy as np
import pytest

from errors import ConfigError
from memory.embeddings import EMBEDDING_DIM, MAX_TOKENS, Embedder

SBERT_README_SENTENCES = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(batch_size=8)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_embeddings_are_float32_rows_of_384_dims_in_input_order(embedder):
    texts = ["momentum on SPY", "a much longer sentence about mean reversion in small caps", "x"]
    vectors = embedder.embed(texts)
    assert vectors.shape == (3, EMBEDDING_DIM)
    assert vectors.dtype == np.float32
    for i, text in enumerate(texts):
        np.testing.assert_allclose(vectors[i], embedder.embed([text])[0], atol=1e-6)


def test_every_embedding_has_unit_l2_norm(embedder):
    vectors = embedder.embed(["", "a", "Sharpe 1.2 over 10 years", "word " * 60])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_embedding_is_deterministic_across_calls_and_instances(embedder):
    text = "Rejected: the drawdown of the breakout strategy exceeded the limit."
    first = embedder.embed([text])
    again = embedder.embed([text])
    other_instance = Embedder(batch_size=1).embed([text])
    assert np.array_equal(first, again)
    np.testing.assert_allclose(first, other_instance, atol=1e-6)


def test_a_text_alone_equals_the_same_text_padded_inside_a_batch(embedder):
    short = "Approve the paper trading promotion."
    long = "A much longer sentence that forces heavy padding of the short one in the same batch. " * 4
    alone = embedder.embed([short])[0]
    batched = Embedder(batch_size=64).embed(["x", long, short, "hello there"])[2]
    np.testing.assert_allclose(alone, batched, atol=1e-6)


def test_empty_input_gives_an_empty_matrix(embedder):
    assert embedder.embed([]).shape == (0, EMBEDDING_DIM)


def test_a_single_string_is_refused_because_it_would_be_embedded_per_character(embedder):
    with pytest.raises(ConfigError):
        embedder.embed("not a list")  # type: ignore[arg-type]


def test_texts_are_truncated_to_256_tokens(embedder):
    head = "risk limits and drawdown controls " * 80  # far more than 256 tokens
    assert embedder.token_count(head) == MAX_TOKENS
    with_tail_a = embedder.embed([head + " tail about apples"])[0]
    with_tail_b = embedder.embed([head + " a completely different tail about volcanoes"])[0]
    np.testing.assert_allclose(with_tail_a, with_tail_b, atol=1e-6)


def test_paraphrases_are_much_closer_than_unrelated_sentences(embedder):
    a, b, c, d = embedder.embed(
        [
            "The backtest of the momentum strategy showed a high Sharpe ratio.",
            "Our momentum strategy's backtest had a strong risk-adjusted return.",
            "I would like pizza for dinner tonight.",
            "The cat is sleeping on the sofa.",
        ]
    )
    assert cosine(a, b) > 0.6
    assert cosine(a, c) < 0.2
    assert cosine(a, d) < 0.2
    assert cosine(a, b) - max(cosine(a, c), cosine(a, d)) > 0.4


def test_similarities_match_the_values_published_in_the_sentence_transformers_readme(embedder):
    """The sentence-transformers README (huggingface/sentence-transformers, "Usage") prints, for
    SentenceTransformer("all-MiniLM-L6-v2") on these three sentences, the cosine similarity matrix
    [[1.0000, 0.6660, 0.1046], [0.6660, 1.0000, 0.1411], [0.1046, 0.1411, 1.0000]] (4 decimals,
    computed by the PyTorch reference). Matching it checks the whole forward pass independently."""
    v = embedder.embed(SBERT_README_SENTENCES)
    published = np.array([[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]])
    np.testing.assert_allclose(v @ v.T, published, atol=1.5e-4)


def test_first_dimensions_stay_pinned_to_the_reviewed_reference(embedder):
    """Regression pin, not an independent oracle: these values were computed once by this numpy
    implementation (memory/embeddings.py, commit introducing it) for the three README sentences,
    after the implementation was checked against the published similarity matrix above. They catch
    any later change in tokenisation, weights or arithmetic."""
    pinned = np.array(
        [
            [0.0191957, 0.1200854, 0.1595983, 0.0670659, 0.0500748, -0.0259187, 0.0564682, -0.0928578],
            [-0.0186904, 0.0415186, 0.0743155, 0.0784327, 0.0755697, -0.0125076, 0.0883569, -0.0697887],
            [0.1365020, 0.0822732, -0.0252616, 0.0304514, 0.0533121, 0.0508092, 0.0861643, 0.0999920],
        ]
    )
    np.testing.assert_allclose(embedder.embed(SBERT_README_SENTENCES)[:, :8], pinned, atol=1e-5)


def test_a_missing_model_directory_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="model.safetensors|weights"):
        Embedder(model_dir=tmp_path).embed(["anything"])


def test_the_gelu_error_function_matches_the_exact_one_below_float32_resolution():
    import math

    from memory.minilm import erf

    grid = np.linspace(-8.0, 8.0, 40_001)
    exact = np.array([math.erf(v) for v in grid])

    assert np.abs(erf(grid) - exact).max() <= 1.5e-7
    assert erf(grid.astype(np.float32)).dtype == np.float32
    np.testing.assert_array_equal(erf(-grid), -erf(grid))  # odd, exactly


def test_concurrent_embeddings_leave_the_process_blas_thread_count_as_it_was(embedder):
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    before = blas_threads()
    with ThreadPoolExecutor(4) as pool:
        vectors = list(pool.map(lambda i: embedder.embed([f"risk limit change {i}"])[0], range(16)))

    assert blas_threads() == before
    np.testing.assert_allclose(vectors[3], embedder.embed(["risk limit change 3"])[0], atol=1e-6)
