"""Models: the architectures, training (one machine or several), the speech-embedding head, fine-tuning on a user's
takes, the incremental (streaming) form, export to LiteRT."""
