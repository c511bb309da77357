"""Where every file of a run lives: the layout of ``output/RUN/``, defined here and nowhere else.

::

    output/RUN/
        model_complex_auto_{cqt,signal,mnist}.save   trained weights (a torch state dict)
        checkpoint_{data_type}.pt                   model + optimizer + epoch, for --resume
        config.ini                                  the config the model was trained with
        train_log.csv                               epoch,train_loss,eval_loss,seconds
        training_{data_type}.json                   what the model learned from: each training
                                                    command's list, the files that trained and
                                                    those that gave the evaluation loss, its
                                                    epochs and the weights it started from;
                                                    every model saved (epoch, weights digest,
                                                    session)
        plots/                                      training plots (filters, reconstructions, ...)
        NAME_repres.pyc.bz                          features of NAME: [amplitudes, phases]
        NAME.npy, NAME.png                          self-similarity matrix of NAME and its picture
        ss_matrices_filelist.txt                    the .npy paths, one a line
        conversion.json                             how the features were made: hop, step, frame
                                                    length, the model and the digest of its
                                                    weights; the code's version and commit
        .converted/NAME.json                        NAME's recording and settings, written after
                                                    its outputs: what a rerun checks to keep them
        PIECE.seg, PIECE.segraw                     patterns found (MIREX format; frame spans)
        PIECE.patterns.csv, PIECE_patterns.png      patterns in seconds; matrix with segments
        PIECE.segments.json                         found segments (extract_motives.py -spk/-pk)
        extraction.json                             how patterns were found: method, frame length,
                                                    where each score starts in its recording; the
                                                    code's version and commit
        .extracted/PIECE.json                       the same for a piece's patterns
        results.txt, results.csv                    MIREX scores of the run
        report/                                     HTML report (complex_auto.report): index.html,
                                                    PIECE.html (index-piece.html for a piece
                                                    called index), img/, clips/PIECE/*.mp3
                                                    and source.json, report.json (the options
                                                    of its last build)
        invariance.csv, invariance.png,             what the model learned (complex_auto.invariance)
        transformations.csv, phase_pca.png
        digits.csv                                  digit error from amplitudes (digit models)
        transposition.csv                           transposition test of the model and baselines
        KIND/, KIND/METHOD/                         one feature kind's conversion, one finder's
                                                    patterns and scores (complex_auto.compare)
        compare.csv, compare.md, compare.png        every kind and finder: scores, transposition

NAME is an audio file's basename with extension (``mazurka24-4-poly.mp3``); PIECE is the name
without extensions (``mazurka24-4-poly``).
"""
from pathlib import Path

from .errors import DataError

OUTPUT_ROOT = Path("output")
#: Beside a model file (in a run, or a shipped model's folder): what it learned from.
TRAINING_INFO = "training_{data_type}.json"


def piece_name(path):
    """``data/x/mazurka24-4-poly.mp3.npy`` → ``mazurka24-4-poly``."""
    return Path(path).name.split(".")[0]


def report_page_name(piece):
    """The file name of a piece's page in the report: ``PIECE.html``, but ``PIECE-piece.html``
    for a piece called ``index`` (in any case: file systems that ignore it), whose page would
    be the run's own ``index.html``."""
    return f"{piece}-piece.html" if piece.lower() == "index" else f"{piece}.html"


class RunLayout:
    """Paths of one run's files.

    Parameters
    ----------
    run : str
        The run keyword.
    root : str or Path
        Folder that holds the runs (``output``).
    """

    def __init__(self, run, root=OUTPUT_ROOT):
        parts = Path(run).parts
        # '' wrote into output/ itself among the runs, '../x' outside it
        if not parts or not str(run).strip() or Path(run).is_absolute() or ".." in parts:
            raise DataError(f"run keyword '{run}': must name a folder inside {root}/ "
                            "(not empty, not absolute, no '..')")
        self.run = run
        self.root = Path(root)
        self.dir = self.root / run
        self._check_folder()

    def _check_folder(self):
        # a file in the run folder's place failed, with a traceback, where the first file
        # went into it (FileExistsError, NotADirectoryError)
        from .utils import file_in_the_way

        blocking = file_in_the_way(self.dir)
        if blocking is not None:
            what = "run folder" if blocking == self.dir else "folder"
            raise DataError(f"{blocking} is a file, not a {what}")

    def make(self):
        """Create the run folder (and those above it) when missing.

        Returns
        -------
        RunLayout
            ``self``.

        Raises
        ------
        DataError
            When the run folder, or one above it, is a file, or cannot be created.
        """
        self._check_folder()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self._check_folder()        # made a file since
            raise DataError(f"{self.dir}: cannot create the run folder "
                            f"({e.strerror or e})") from None
        return self

    # training
    def model(self, data_type):
        return self.dir / f"model_complex_auto_{data_type}.save"

    def checkpoint(self, data_type):
        return self.dir / f"checkpoint_{data_type}.pt"

    @property
    def config(self):
        return self.dir / "config.ini"

    @property
    def train_log(self):
        return self.dir / "train_log.csv"

    def training_info(self, data_type):
        # one a model: a run may hold a CQT and a 1-D signal model
        return self.dir / TRAINING_INFO.format(data_type=data_type)

    @property
    def plots(self):
        return self.dir / "plots"

    # conversion
    def features(self, name):
        return self.dir / f"{Path(name).name}_repres.pyc.bz"

    def matrix(self, name):
        return self.dir / f"{Path(name).name}.npy"

    def matrix_image(self, name):
        return self.dir / f"{Path(name).name}.png"

    @property
    def matrix_list(self):
        return self.dir / "ss_matrices_filelist.txt"

    @property
    def conversion_info(self):
        return self.dir / "conversion.json"

    @property
    def conversion_records(self):
        return self.dir / ".converted"

    def conversion_record(self, name):
        # Written last, beside each file's outputs: how they were made, so that a rerun (of a
        # killed command, or of one shard) keeps them only when made the same way.
        return self.conversion_records / f"{Path(name).name}.json"

    # pattern discovery
    def seg(self, piece):
        return self.dir / f"{piece}.seg"

    def segraw(self, piece):
        return self.dir / f"{piece}.segraw"

    def patterns_csv(self, piece):
        return self.dir / f"{piece}.patterns.csv"

    def patterns_image(self, piece):
        return self.dir / f"{piece}_patterns.png"

    def segments_cache(self, piece):
        return self.dir / f"{piece}.segments.json"

    @property
    def extraction_info(self):
        return self.dir / "extraction.json"

    def extraction_record(self, piece):
        # Written last, beside each piece's outputs (as conversion_record).
        return self.dir / ".extracted" / f"{piece}.json"

    @property
    def results_txt(self):
        return self.dir / "results.txt"

    @property
    def results_csv(self):
        return self.dir / "results.csv"

    @property
    def report_dir(self):
        return self.dir / "report"

    @property
    def report_index(self):
        return self.report_dir / "index.html"

    def report_page(self, piece):
        return self.report_dir / report_page_name(piece)

    @property
    def report_options(self):
        """The options of the report's last build, which the next one keeps."""
        return self.report_dir / "report.json"

    @property
    def report_images(self):
        return self.report_dir / "img"

    def report_clips(self, piece=None):
        """The report's clips; a piece's, with ``source.json`` (the recording they were cut
        from)."""
        clips = self.report_dir / "clips"
        return clips if piece is None else clips / piece

    # model analysis
    @property
    def invariance_csv(self):
        return self.dir / "invariance.csv"

    @property
    def invariance_png(self):
        return self.dir / "invariance.png"

    @property
    def transformations_csv(self):
        return self.dir / "transformations.csv"

    @property
    def phase_pca_png(self):
        return self.dir / "phase_pca.png"

    @property
    def digits_csv(self):
        return self.dir / "digits.csv"

    @property
    def transposition_csv(self):
        return self.dir / "transposition.csv"

    # comparison of representations (python -m complex_auto.compare)
    def compare_run(self, kind, method=None):
        """Run keyword of one feature kind's conversion, or of one finder on it: ``RUN/KIND[/METHOD]``."""
        return f"{self.run}/{kind}" + (f"/{method}" if method else "")

    @property
    def compare_csv(self):
        return self.dir / "compare.csv"

    @property
    def compare_md(self):
        return self.dir / "compare.md"

    @property
    def compare_png(self):
        return self.dir / "compare.png"
