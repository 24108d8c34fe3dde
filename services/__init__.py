"""The application layer: operations every interface calls (between tools/ and memory/)."""
