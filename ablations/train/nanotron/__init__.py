"""The ``nanotron`` backend for GPU clusters: config generation, SLURM launch, checkpoint conversion, evaluation.

Nothing here imports nanotron: it cannot train without CUDA, and lighteval (in the main environment) breaks when
nanotron is installed beside it. Its config classes are checked in the separate ``.venv-nanotron`` (see
``tests/test_nanotron.py``); the GPU recipe is in ``docs/nanotron.md``.
"""
