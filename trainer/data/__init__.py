"""Data: the Kaggle layout indexed and split by speaker, features and their cache, augmentation, what an epoch is
made of, synthetic speech, the speech-embedding cache."""
