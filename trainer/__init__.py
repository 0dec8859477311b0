"""Trainer for the kwsapp keyword-spotting model: dataset, augmentation, models, training,
evaluation, Kaggle submission and synthetic data. TensorFlow is imported only where needed."""
