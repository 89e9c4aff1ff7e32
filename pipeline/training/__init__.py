"""Training: feature views from stores, fusion models, cross-validated training and prediction."""
