"""One module per model family: what its vision tower feeds its projector, and how to export both."""
