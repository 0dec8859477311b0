"""Evaluation on clips: accuracy and confusion on a split, the Kaggle submission, the pictures of a model folder."""
