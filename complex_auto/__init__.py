"""complex_auto: the Complex Autoencoder (Lattner, Dörfler & Arzt, ISMIR 2019) for MIR.

Modules, one concern each:

- ``model``: the CAE (encode to amplitudes and phases, decode, the pair loss)
- ``config``: reading and validating ``.ini`` files against ``configspec.ini``
- ``cqt``, ``cqt_pairs``, ``signal_pairs``, ``mnist_pairs``, ``data``: inputs and training pairs
- ``training``, ``plots``: the training loop and its pictures
- ``features``, ``selfsim``, ``convert``: invariant features and self-similarity matrices
- ``patterns``, ``jku``, ``evaluation``: repeated-section discovery and MIREX scores
- ``invariance``, ``figures``: what a model learned, and the README's filter figures
- ``layout`` (the files of ``output/RUN/``), ``filelist``, ``cache``, ``utils``, ``cli``, ``errors``
"""
__version__ = "0.1.0"
