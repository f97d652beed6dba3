"""Inference-side model code (torch), shared by the trainers and the server.

The server imports these modules lazily, only for spaces that carry a model.
"""
