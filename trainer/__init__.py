"""Trainer for the kwsapp keyword-spotting model, in four parts: ``data`` (the Kaggle layout, features, augmentation,
synthetic speech), ``models`` (architectures, training, fine-tuning, export), ``evaluation`` (clips, the Kaggle
submission) and ``recordings`` (long test recordings replayed through the app's Listener); ``cli`` is the command
line. TensorFlow is imported only where needed."""
