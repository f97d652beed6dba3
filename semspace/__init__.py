"""semspace: embedding spaces as a service.

The import packages are `semspace.client` (no torch, no faiss), `semspace.server`,
`semspace.trainers`, and the shared, framework-free `semspace.artifact` and `semspace.vectors`.
"""

__version__ = "0.1.0"
