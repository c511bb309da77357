"""complex_auto: the Complex Autoencoder (Lattner, Dörfler & Arzt, ISMIR 2019) for MIR.

Modules, one concern each:

- ``model``: the CAE (encode to amplitudes and phases, decode, the pair loss)
- ``config``: reading and validating ``.ini`` files against ``configspec.ini``
- ``cqt``, ``cqt_pairs``, ``signal_pairs``, ``mnist_pairs``, ``data``, ``corpus``: inputs,
  training pairs and a training corpus rendered from scores
- ``training``, ``distributed``, ``plots``: the training loop, its data-parallel processes and
  its pictures
- ``features``, ``representations``, ``selfsim``, ``convert``, ``half``: invariant features,
  the baselines they compete with, self-similarity matrices, the conversion command and its
  float16 matrices
- ``patterns``, ``nf14`` (with ``_segment_kernel``, ``nf14_stream``), ``families``,
  ``recurrence``, ``melody``, ``display``: repeated-pattern discovery, the notes an occurrence
  holds, and the picture of what was found
- ``jku``, ``evaluation``, ``chance``, ``annotated``, ``transposition``, ``compare``: MIREX
  scores, the chance control, and how representations compare on annotated repeats
- ``report``, ``audio_clips``, ``browser``: the HTML report, the clips of the occurrences it
  plays, the report checked and pictured in a headless browser
- ``invariance``, ``figures``: what a model learned, and the README's filter figures
- ``layout`` (the files of ``output/RUN/``), ``runinfo`` (what a run records of how its
  features and models were made), ``filelist``, ``shards``, ``cache``, ``memory``, ``utils``,
  ``checks``, ``cli``, ``errors``
"""
__version__ = "0.1.0"
