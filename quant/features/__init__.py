"""Point-in-time features, supervised-learning labels and leakage-free cross-validation splits."""
