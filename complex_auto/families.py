"""Repeated patterns at every scale from a self-similarity matrix: path families (``--method families``).

The search of Nieto & Farbood (``nf14``, :mod:`complex_auto.patterns`) grows one diagonal at a
time against a fixed threshold and never reports less than 16 beats. This finder works at the
scale of motifs as well as sections. It reads the matrix that ``convert.py`` writes (any
representation, any recipe: only the *order* of the similarities is used) and:

1. :func:`pool_matrix` averages the matrix onto a grid of about a quarter of a beat (coarser
   only for very long recordings, to bound memory).
2. :func:`lag_normalise` subtracts from every diagonal its median. A diagonal is one time lag;
   windows a few frames apart share most of their frames, so near lags are similar everywhere.
   What stands out of its own lag's level is a repeat (the time-lag view of Goto, ICASSP
   2003, and Müller, *Fundamentals of Music Processing*, Springer 2015, ch. 4).
3. :func:`rank_transform` maps the values to their quantile among all pairs of the piece, so
   that thresholds mean the same in every piece and for every representation.
4. :func:`diagonal_runs` finds stretches of high similarity along each diagonal (a repeat in
   another key is such a stretch too, when the features are transposition invariant, as the
   CAE amplitudes are): every stretch is a candidate pattern, at whatever length it has, up
   to its lag (longer, it would overlap its own repeat: then pieces from its start and one
   that ends where it ends).
5. :func:`path_family` gives each candidate its occurrences: the best set of non-overlapping
   spans of the same length whose mean similarity to it is high (a *path family* with diagonal
   paths, after Müller, Grosche & Jiang, ISMIR 2011). Spans that overlap the candidate itself
   (the passage against itself a moment later) are not occurrences. Optionally
   (``occurrence_p``) an occurrence must also beat the :func:`chance_level` of its length.
6. :func:`select_patterns` ranks the families by how much they stand out and drops those that
   repeat better ones: the same occurrences within a tolerance, or every occurrence within an
   occurrence of the patterns chosen before it (such a family sounds nowhere that a better
   pattern does not).
7. :func:`find_parts` looks inside each chosen pattern for a shorter one that recurs more
   widely: a motif that comes back elsewhere in the piece as well as where the theme does.
   Long strong runs fill the candidates of step 4, so such a motif is seldom among them. Its
   occurrences elsewhere must be as similar to it as its own copies in the pattern's other
   occurrences are (:func:`part_level`), and each pattern gives at most one part
   (:data:`PARTS_PER_PATTERN`), which step 6's rules must let through beside the patterns
   already chosen.

Every parameter is in beats or in quantiles, the same for every piece; each constant below
says why it has its value. The constants are read when the search runs, not when the module
is imported, so that a study can move one (``bench/sensitivity.py``). Rows of the matrix are
windows of ``window`` frames; a window is placed at its centre by the caller, so that a span
of windows maps onto the music it summarises.
"""
import math

import numba
import numpy as np

from . import checks
from .errors import DataError, ParameterError
from .half import as_float
from .memory import read_rows

#: Grid of the search, in beats: fine enough for the boundaries of motifs (which start on
#: eighths or sixteenths at worst a quarter beat from the grid), coarse enough to be quick.
RESOLUTION_BEATS = 0.25
#: Most grid cells a side: bounds memory (a few float arrays of this size squared) for
#: hour-long recordings, whose grid becomes coarser instead.
MAX_CELLS = 6000
#: Version of the search, recorded in ``extraction.json``: outputs of another version are
#: stale, so that ``extract_motives.py`` without ``--overwrite`` redoes them. 2: a run longer
#: than its lag is cut at the lag, and one piece ends where the run ends. 3: candidates are
#: told apart at a quarter beat (:data:`CANDIDATE_GRID_BEATS`), not half a beat. 4: the
#: parts of the chosen patterns are searched (step 7). 5: step 6 drops a family that sounds only
#: within better patterns, wherever in them (:data:`INSIDE_ANY`). 6: equal similarities take
#: the middle of their quantiles, not the highest (a silent recording held patterns; the JKU's
#: and BPS-dev's CAE matrices have no such ties, and their patterns are unchanged).
VERSION = 6
#: Shortest pattern in beats. A figure of less than two beats (a turn, a repeated chord) is an
#: ornament rather than a motif, and the windows of the features are longer than that anyway.
MIN_BEATS = 2.0
#: Longest pattern in beats: a section of about 32 bars of 4/4.
MAX_BEATS = 128.0
#: Longest pattern of a search for motifs only (``extract_motives.py --max-beats 8``): two
#: bars of 4/4. A motif is the shortest idea of a piece, a bar or two; four bars make a phrase.
MOTIF_BEATS = 8.0
#: A pair of frames counts as similar when it is among the top 10 % of all pairs of the piece
#: (after lag normalisation). Relative thresholds of this order are the usual choice for
#: path extraction (libfmp's ``threshold_matrix`` with ``thresh=0.1..0.15``, relative).
RUN_QUANTILE = 0.90
#: An occurrence must be, on average over its span, in the top 20 % against the candidate: a
#: little looser than a run, because a varied repeat dips in places.
OCCURRENCE_QUANTILE = 0.80
#: Similarity along a diagonal is smoothed over one beat before runs are cut, so that a short
#: dip (a changed note) does not split a repeat in two.
SMOOTH_BEATS = 1.0
#: At most this many candidates (the strongest runs) per piece get a path family.
MAX_CANDIDATES = 400
#: Candidates are told apart at the grid of the search (a quarter beat): two runs whose ends
#: differ by a cell both give a candidate, and the scores of their families choose between
#: them in step 6. A coarser grid keeps only the stronger run's span: half a beat (the
#: value before version 3) gave smaller margins over chance on the JKU and on BPS-dev
#: (``bench/sensitivity.py``; README, *Are the constants tuned?*).
CANDIDATE_GRID_BEATS = 0.25
#: A part (step 7) is at most half as long as the pattern it lies in: longer, it is the
#: pattern itself with its ends moved, which step 5 tried already and step 6 chose against.
PART_SHARE = 0.5
#: Candidate parts tried per pattern, the strongest runs inside its occurrences first. A
#: motif that recurs is a strong run (the motif against its recurrence); a few dozen runs
#: hold the recurring motifs of a section, and more add weaker, chance runs and time.
MAX_PART_CANDIDATES = 50
#: Parts (step 7) a pattern gives at most, its best ones: the one motif of a theme that
#: recurs beyond it. A second and further parts add more occurrences that no annotation has
#: than annotated motifs: two leave the JKU's scores as they are and lower three of BPS-dev's
#: four margins over chance, every part that step 6 lets through lowers margins on both sets
#: (README, *The parts of a pattern*).
PARTS_PER_PATTERN = 1
#: A family's score (step 6 ranks by it, best first) sums over its occurrences how far each
#: stands out, to this power: squared, one clear repeat counts for more than two faint ones.
#: As it is (1), BPS-dev's one Occ.75_F above chance (bps09) is lost;
#: cubed (3), all four of BPS-dev's margins fall (README, *Are the constants tuned?*).
EXCESS_POWER = 2.0
#: ... times its length in beats to this power. A longer pattern holds more music, but a
#: section twice as long as a phrase is not twice the find: the square root ranks long
#: repeats first without letting each section bury the motifs inside it. Counted in full
#: (1), the JKU gains and BPS-dev's motifs lose (README, *Are the constants tuned?*).
LENGTH_POWER = 0.5
#: Two occurrences are the same span when their intersection is at least half their union.
SAME_SPAN_IOU = 0.5
#: A family repeats a better one when this share of its occurrences are the better one's spans.
REDUNDANT_SHARE = 0.5
#: Step 6 drops a family each of whose occurrences lies within an occurrence of *any*
#: pattern chosen before it (True, the default since version 5), not only one each of whose
#: occurrences lies within its own occurrence of one pattern, at the same translations (False,
#: SIATEC's maximality, Meredith, Lemström & Wiggins 2002; versions 1-4). A family of the first kind sounds nowhere that better
#: patterns do not: mostly fragments of them (a figure twice within each statement of a theme,
#: a fragment inside several better patterns), sometimes a motif that annotators mark. On the
#: JKU and on BPS-dev it raises seven of the eight margins over chance (README, *Fragments of
#: better patterns*; ``bench/sensitivity.py --set INSIDE_ANY=0`` runs the narrower rule).
INSIDE_ANY = True
#: Suggested ``occurrence_p`` (``extract_motives.py --occurrence-p``; off by default): an
#: occurrence must be as similar to its candidate as at most 1 in 200 pairs of spans of its
#: length placed at random in the piece. A candidate of a few beats is tried against a few
#: hundred placements, so this admits about one chance occurrence per motif family, and fewer
#: for longer patterns.
OCCURRENCE_P = 0.005
#: Random pairs of spans drawn per pattern length to estimate that level (fixed seed): enough
#: for a 1-in-200 quantile to rest on 250 pairs above it.
NULL_PAIRS = 50_000


# ---------------------------------------------------------------------------------------------
# 1-3. the matrix


def pool_matrix(X, factor, n=None):
    """Mean of ``factor × factor`` blocks of the top-left ``n × n`` of ``X``, float32.

    Parameters
    ----------
    X : np.ndarray or np.memmap, shape (N, N)
    factor : int
        Cells per side of a block.
    n : int, optional
        Rows to use (default all); rows past it (padding) are ignored.

    Returns
    -------
    np.ndarray, shape (ceil(n / factor), ceil(n / factor)), float32
        Read a band of rows at a time, so a memory-mapped ``X`` is never loaded whole.

    Raises
    ------
    DataError
        When the top-left ``n × n`` of ``X`` holds NaN or infinite values.
    """
    n = len(X) if n is None else int(n)
    m = -(-n // factor)
    out = np.empty((m, m), np.float32)
    cols = np.minimum(np.arange(m + 1) * factor, n)
    for r in range(m):
        # plain reads of a memory-mapped file: touched pages would count as resident memory
        band = as_float(read_rows(X, r * factor, min((r + 1) * factor, n)), np.float32)[:, :n]
        # Sum the band's columns block by block (reduceat), then divide by the block sizes.
        sums = np.add.reduceat(band.sum(axis=0), cols[:-1])
        out[r] = sums / (len(band) * np.diff(cols))
    if not np.isfinite(out).all():    # a NaN or inf anywhere reaches its block's mean
        raise DataError("self-similarity matrix holds NaN or infinite values")
    return out


@numba.njit(cache=True)
def lag_normalise(S, min_lag):
    """Symmetric matrix of ``S[i, j] - median of S's diagonal j - i``, zero below ``min_lag``.

    Parameters
    ----------
    S : np.ndarray, shape (n, n), float32
        Only the upper triangle is read.
    min_lag : int
        Lags (in cells) below this are set to 0: a window against itself a moment later.

    Returns
    -------
    np.ndarray, shape (n, n), float32
    """
    n = S.shape[0]
    out = np.zeros((n, n), np.float32)
    buf = np.empty(n, np.float32)
    for d in range(max(min_lag, 1), n):
        m = n - d
        for t in range(m):
            buf[t] = S[t, t + d]
        med = np.median(buf[:m])
        for t in range(m):
            v = buf[t] - med
            out[t, t + d] = v
            out[t + d, t] = v
    return out


def rank_transform(S, min_lag, levels=200, sample=2_000_000, seed=0):
    """Each value's quantile among the pairs ``lag >= min_lag`` of the piece, in [0, 1].

    The quantiles are estimated from ``sample`` pairs drawn with a fixed seed (all of them
    for a small matrix), and values are mapped by interpolation between ``levels`` of them.
    Equal values take the middle of the quantiles they span (mid-ranks, as
    ``scipy.stats.rankdata(method="average")``): a value that many pairs share is above none
    of them, so a silent recording, whose windows are all alike, holds no pair in its top 10 %.
    Pairs closer than ``min_lag`` get 0.

    Parameters
    ----------
    S : np.ndarray, shape (n, n)
        Lag-normalised similarities (:func:`lag_normalise`), symmetric.
    min_lag : int
        Shortest lag in cells whose pairs are ranked (at least 1); closer pairs are set to 0
        and left out of the quantiles.
    levels : int
        Quantiles estimated (``levels + 1`` edges from 0 to 1), between which values are
        interpolated.
    sample : int
        Most pairs drawn to estimate the quantiles; a small matrix uses all of its pairs.
    seed : int
        Seed of the draw, so that a piece always gets the same matrix.

    Returns
    -------
    np.ndarray, shape (n, n), float32
        All zeros when no lag of ``min_lag`` fits in the matrix.
    """
    from .selfsim import zero_band

    n = len(S)
    min_lag = max(min_lag, 1)
    if n - min_lag < 1:
        return np.zeros_like(S)
    if n * (n - min_lag) // 2 <= sample:
        i, j = np.triu_indices(n, k=min_lag)
    else:
        rng = np.random.default_rng(seed)
        i, j = rng.integers(0, n, (2, int(sample * 1.2)))
        keep = np.abs(i - j) >= min_lag
        i, j = i[keep][:sample], j[keep][:sample]
    q = np.linspace(0.0, 1.0, levels + 1)
    edges = np.quantile(S[i, j], q)
    del i, j
    # Equal values (flat stretches) must not map to a jump: make the edges strictly
    # increasing, each value at the middle of the quantiles it spans.
    edges, idx = np.unique(edges, return_index=True)
    qs = (q[idx] + q[np.r_[idx[1:] - 1, len(q) - 1]]) / 2
    R = np.empty_like(S, dtype=np.float32)
    for lo in range(0, n, 1024):            # a band of rows at a time: no float64 n x n
        R[lo:lo + 1024] = np.interp(S[lo:lo + 1024], edges, qs)
    return zero_band(R, min_lag - 1)


@numba.njit(cache=True)
def smooth_diagonals(R, width):
    """Centred moving average of ``width`` cells along every diagonal (upper triangle, mirrored).

    Near the ends of a diagonal the average is over the cells that exist, not padded with
    zeros, so that a repeat at the start or end of the piece keeps its level.

    Parameters
    ----------
    R : np.ndarray, shape (n, n)
        Rank-transformed matrix (:func:`rank_transform`); only the upper triangle is read.
    width : int
        Cells averaged, e.g. :data:`SMOOTH_BEATS` in cells.

    Returns
    -------
    np.ndarray, shape (n, n), same dtype as ``R``
        Symmetric; the main diagonal is 0.
    """
    n = R.shape[0]
    out = np.zeros_like(R)
    half = width // 2
    buf = np.empty(n + 1, np.float64)
    for d in range(1, n):
        m = n - d
        buf[0] = 0.0
        for t in range(m):
            buf[t + 1] = buf[t] + R[t, t + d]
        for t in range(m):
            lo = max(0, t - half)
            hi = min(m, t - half + width)
            v = (buf[hi] - buf[lo]) / (hi - lo)
            out[t, t + d] = v
            out[t + d, t] = v
    return out


# ---------------------------------------------------------------------------------------------
# 4. candidates


@numba.njit(cache=True)
def _run_piece(R, a, b, d, threshold):
    # a row of diagonal_runs: the piece [a, b) of the diagonal at lag d
    tot = 0.0
    for k in range(a, b):
        tot += R[k, k + d]
    return float(a), float(b), float(d), tot / (b - a), tot - threshold * (b - a)


@numba.njit(cache=True)
def diagonal_runs(R, threshold, min_len, max_len, min_lag):
    """Maximal stretches of ``R >= threshold`` along the diagonals ``lag >= min_lag``.

    Parameters
    ----------
    R : np.ndarray, shape (n, n)
        Smoothed rank-transformed matrix (:func:`smooth_diagonals`); only the upper triangle
        is read.
    threshold : float
        Least quantile of a cell in a run (:data:`RUN_QUANTILE`).
    min_len : int
        Shortest piece kept, in cells (:data:`MIN_BEATS`).
    max_len : int
        Longest piece, in cells; longer runs are cut (see below).
    min_lag : int
        Shortest lag searched, in cells: nearer diagonals are a window against itself.

    Returns
    -------
    np.ndarray, shape (runs, 5), float64
        Rows ``start, end (exclusive), lag, mean of R over the run, strength``; strength is
        ``sum(R - threshold)`` over the run. A run longer than ``max_len`` or than its lag is
        cut into pieces of at most that length from its start, plus one piece of that length
        that ends where the run ends. A piece longer than the lag would overlap its own
        repeat; and where the similarity stops is a boundary of the repeated passage as much
        as where it starts. (A section X·A·A repeated, after the A·A that opens a piece, is a
        stripe from the first A to the second section's end, longer than its lag: the piece
        anchored at its end is X·A·A, the annotated section of mazurka24-4.)
    """
    n = R.shape[0]
    out = []
    for d in range(max(min_lag, 1), n):
        m = n - d
        t = 0
        while t < m:
            if R[t, t + d] < threshold:
                t += 1
                continue
            s = t
            while t < m and R[t, t + d] >= threshold:
                t += 1
            # [s, t) is a run. A piece longer than the lag d would overlap its own repeat.
            limit = min(max_len, d)
            a = s
            while a < t:
                b = min(t, a + limit)
                if b - a >= min_len:
                    out.append(_run_piece(R, a, b, d, threshold))
                a = b
            if t - s > limit and (t - s) % limit:     # the last piece was cut short
                out.append(_run_piece(R, t - limit, t, d, threshold))
    res = np.zeros((len(out), 5))
    for k in range(len(out)):
        for c in range(5):
            res[k, c] = out[k][c]
    return res


def candidates(runs, max_count=None, grid=1):
    """Distinct spans to try as patterns: both sides of every run, strongest first.

    Parameters
    ----------
    runs : np.ndarray, shape (runs, 5)
        From :func:`diagonal_runs`.
    max_count : int, optional
        Default :data:`MAX_CANDIDATES`.
    grid : int
        Spans are compared after rounding their ends to this many cells.

    Returns
    -------
    np.ndarray, shape (k, 2), int64
        ``start, end`` in cells.
    """
    max_count = MAX_CANDIDATES if max_count is None else max_count
    if len(runs) == 0:
        return np.zeros((0, 2), np.int64)
    order = np.argsort(-runs[:, 4], kind="stable")
    spans, seen = [], set()
    for r in runs[order]:
        a, b, d = int(r[0]), int(r[1]), int(r[2])
        for s, e in ((a, b), (a + d, b + d)):
            key = (round(s / grid), round(e / grid))
            if key not in seen:
                seen.add(key)
                spans.append((s, e))
        if len(spans) >= max_count:
            break
    return np.array(spans[:max_count], np.int64).reshape(-1, 2)


# ---------------------------------------------------------------------------------------------
# 5. path families


def diagonal_prefix(R):
    """``P[i + 1, j + 1] = P[i, j] + R[i, j]``: sums along diagonals in O(1), float64.

    The sum of ``R[s + k, c + k]`` for ``k < length`` is ``P[s + length, c + length] -
    P[s, c]``, so that every span's mean similarity to every other costs two reads.

    Returns
    -------
    np.ndarray, shape (n + 1, n + 1), float64
        Row and column 0 are 0.
    """
    n = len(R)
    P = np.zeros((n + 1, n + 1))
    for k in range(n):  # row by row: P[k+1, 1:] = P[k, :-1] + R[k]
        P[k + 1, 1:] = P[k, :-1] + R[k]
    return P


@numba.njit(cache=True)
def _best_intervals(gain, length):
    # Weighted interval scheduling for intervals of one length: the set of starts with
    # gain > 0, no two closer than ``length``, of largest total gain.
    m = len(gain)
    best = np.zeros(m + 1)
    take = np.zeros(m + 1, np.bool_)
    for x in range(1, m + 1):
        c = x - 1  # interval starting at c ends at c + length; compare against best[c - length + 1]
        prev = best[x - length] if x - length >= 0 else 0.0
        with_c = prev + gain[c] if gain[c] > 0 else -1.0
        if with_c > best[x - 1]:
            best[x] = with_c
            take[x] = True
        else:
            best[x] = best[x - 1]
    starts = []
    x = m
    while x > 0:
        if take[x]:
            starts.append(x - 1)
            x -= length
        else:
            x -= 1
    return np.array(starts[::-1], np.int64)


def path_family(P, start, end, threshold=None):
    """Occurrences of the span ``[start, end)``: the best non-overlapping diagonal paths.

    Parameters
    ----------
    P : np.ndarray, shape (n + 1, n + 1)
        :func:`diagonal_prefix` of the rank-transformed matrix.
    start, end : int
        The candidate, in cells.
    threshold : float, optional
        Least mean similarity of an occurrence to the candidate (default
        :data:`OCCURRENCE_QUANTILE`).

    Returns
    -------
    starts : np.ndarray of int
        Start cells of the other occurrences (same length), none overlapping the candidate
        or each other, chosen to maximise the summed ``mean - threshold``.
    means : np.ndarray of float
        Their mean similarity to the candidate.
    """
    threshold = OCCURRENCE_QUANTILE if threshold is None else threshold
    n = len(P) - 1
    length = end - start
    c = np.arange(0, n - length + 1)
    means = (P[end, c + length] - P[start, c]) / length
    gain = means - threshold
    gain[np.abs(c - start) < length] = -1.0    # the candidate itself, a moment earlier or later
    starts = _best_intervals(gain, length)
    return starts, means[starts]


def chance_level(P, length, p, pairs=NULL_PAIRS, seed=0):
    """Mean similarity that only a share ``p`` of random pairs of spans of ``length`` exceed.

    With a fixed :data:`OCCURRENCE_QUANTILE`, a short span collects chance occurrences: its
    mean is over few (and, through the windows, overlapping) cells, so it reaches a level that
    a long span's mean almost never does. Its family is then no better placed than the same
    spans at random. This level is the ``1 - p`` quantile of the mean over ``length`` cells
    along a diagonal, for pairs of non-overlapping spans drawn uniformly in the piece.

    Parameters
    ----------
    P : np.ndarray, shape (n + 1, n + 1)
        :func:`diagonal_prefix` of the rank-transformed matrix.
    length : int
        Span length in cells.
    p : float
        Share of random pairs above the level, in (0, 1).
    pairs : int
        Random pairs drawn (:data:`NULL_PAIRS`).
    seed : int
        Seed of the draw, so that a length always gets the same level.

    Returns
    -------
    float
        The level, never below :data:`OCCURRENCE_QUANTILE`; 1.0 when no two spans of
        ``length`` fit apart in the piece.
    """
    starts = len(P) - length           # spans [c, c + length) with c in 0 .. n - length
    if starts < length + 1:
        return 1.0
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, starts, (2, int(pairs * 1.5)))
    keep = np.abs(i - j) >= length
    i, j = i[keep][:pairs], j[keep][:pairs]
    if len(i) < pairs:
        # Spans long against the piece leave few pairs apart (none, by chance, when two
        # just fit): draw those pairs directly, the later one moved past the earlier's end.
        a, b = rng.integers(0, starts - length, (2, pairs))
        i, j = np.minimum(a, b), np.maximum(a, b) + length
    means = (P[i + length, j + length] - P[i, j]) / length
    return max(OCCURRENCE_QUANTILE, float(np.quantile(means, 1.0 - p)))


# ---------------------------------------------------------------------------------------------
# 6. patterns


def _iou(a0, a1, b0, b1):
    inter = min(a1, b1) - max(a0, b0)
    return inter / (max(a1, b1) - min(a0, b0)) if inter > 0 else 0.0


def _share_matched(occ, other, iou):
    hits = sum(any(_iou(a, b, c, d) >= iou for c, d in other) for a, b in occ)
    return hits / len(occ)


def _within(a, b, c, d, share):
    """True when span ``[a, b)`` lies in ``[c, d)`` by ``share`` of its length."""
    return min(b, d) - max(a, c) >= share * (b - a)


def _inside(occ, other, share):
    """True when every span of ``occ`` lies (by ``share`` of its length) in its own span of
    ``other``: ``occ`` repeats exactly where ``other`` does, a part of it each time."""
    used = set()
    for a, b in occ:
        hosts = [k for k, (c, d) in enumerate(other)
                 if k not in used and _within(a, b, c, d, share)]
        if not hosts:
            return False
        used.add(hosts[0])
    return True


def _host(occ, chosen, share):
    """The pattern of ``chosen`` that holds most spans of ``occ`` when every span of ``occ``
    lies (by ``share`` of its length) in some span of ``chosen``, else None."""
    held = np.zeros(len(chosen), np.int64)
    for a, b in occ:
        hosts = [k for k, other in enumerate(chosen)
                 if any(_within(a, b, c, d, share) for c, d in other)]
        if not hosts:
            return None
        held[hosts] += 1
    return int(held.argmax())


def select_patterns(families, redundant=None, iou=None, kept=()):
    """Rank families by score and drop each one that repeats a better one.

    Parameters
    ----------
    families : list of (score, occurrences)
        ``occurrences`` is an ``(k, 2)`` array of spans in cells, the candidate first.
    redundant : float, optional
        Default :data:`REDUNDANT_SHARE`.
    iou : float, optional
        Least intersection over union of two spans that are the same (default
        :data:`SAME_SPAN_IOU`).
    kept : list of (score, occurrences), optional
        Families chosen already (step 7 adds parts to step 6's choice): every family is
        checked against them too, and they are returned first, as they are.

    Returns
    -------
    list of (score, occurrences)
        Best first. A family is dropped when ``redundant`` of its occurrences are spans of an
        already kept family (``iou``), or the other way round, or when each of its
        occurrences lies (by ``iou`` of its length) within an occurrence of the families kept
        before it, of one or of several (:data:`INSIDE_ANY`): it then sounds only where
        better patterns do, and adds nothing to them. With :data:`INSIDE_ANY` off, only a
        family each of whose occurrences is a part of its own occurrence of one kept family
        is dropped: it repeats only where the larger pattern does, with the same
        translations (the maximality of SIATEC's translational equivalence classes,
        Meredith, Lemström & Wiggins 2002), and a motif that recurs *within* each
        occurrence of a section is kept.
    """
    chosen = [(score, [tuple(o) for o in occ]) for score, occ in kept]
    for score, occ in sorted(families, key=lambda f: -f[0]):
        spans = [tuple(o) for o in occ]
        if excluded_by(spans, [k for _, k in chosen], redundant, iou) is None:
            chosen.append((score, spans))
    return [(s, np.array(sorted(o), np.int64)) for s, o in chosen]


def excluded_by(occurrences, chosen, redundant=None, iou=None):
    """Which of the patterns chosen already excludes a family in :func:`select_patterns`.

    Parameters
    ----------
    occurrences : array-like, shape (k, 2)
        The family's spans.
    chosen : list of array-like, each shape (k', 2)
        The spans of the patterns chosen before it, best first.
    redundant, iou : float, optional
        As for :func:`select_patterns`.

    Returns
    -------
    (int, str) or None
        The index in ``chosen`` of the first pattern that excludes it and the rule:
        ``"same spans"`` (``redundant`` of its spans are that pattern's), ``"its spans"`` (the
        other way round) or ``"inside"`` (each of its spans lies in a span of some chosen
        pattern, and the index is that of the pattern that holds most of them; with
        :data:`INSIDE_ANY` off, each lies in its own span of that one pattern); None when none
        does.
    """
    redundant = REDUNDANT_SHARE if redundant is None else redundant
    iou = SAME_SPAN_IOU if iou is None else iou
    spans = [tuple(o) for o in occurrences]
    chosen = [[tuple(o) for o in other] for other in chosen]
    for k, other in enumerate(chosen):
        if _share_matched(spans, other, iou) >= redundant:
            return k, "same spans"
        if _share_matched(other, spans, iou) >= redundant:
            return k, "its spans"
        if not INSIDE_ANY and _inside(spans, other, iou):
            return k, "inside"
    if INSIDE_ANY and chosen:
        k = _host(spans, chosen, iou)
        if k is not None:
            return k, "inside"
    return None


# ---------------------------------------------------------------------------------------------
# 7. parts


def part_candidates(runs, occurrences, max_len, max_count=None, tried=(), tolerance=0):
    """Spans of runs that lie inside an occurrence of a pattern: its candidate parts.

    Parameters
    ----------
    runs : np.ndarray, shape (runs, 5)
        From :func:`diagonal_runs`.
    occurrences : np.ndarray, shape (k, 2)
        The pattern's spans in cells.
    max_len : int
        Longest part in cells (:data:`PART_SHARE` of the pattern).
    max_count : int, optional
        Default :data:`MAX_PART_CANDIDATES`.
    tried : set of (int, int)
        Spans that were step 5's candidates already: not tried again.
    tolerance : int
        A run that joins two occurrences at offsets from their starts that differ by at most
        this many cells lies along the pattern's own diagonal: not a candidate.

    Returns
    -------
    list of (int, int, int)
        ``start, end, host``: the span in cells and the occurrence it lies in, both sides of
        the strongest runs first.
    """
    max_count = MAX_PART_CANDIDATES if max_count is None else max_count
    r = runs[np.argsort(-runs[:, 4], kind="stable")].astype(np.int64)
    r = r[r[:, 1] - r[:, 0] <= max_len]
    # both sides of every run, in the order of the runs
    starts = np.column_stack([r[:, 0], r[:, 0] + r[:, 2]]).ravel()
    ends = np.column_stack([r[:, 1], r[:, 1] + r[:, 2]]).ravel()
    host = np.full(len(starts), -1)
    for k, (c, d) in enumerate(occurrences[::-1]):   # the first host wins
        host[(starts >= c) & (ends <= d)] = len(occurrences) - 1 - k
    # A run between the same place of two occurrences is a piece of the pattern against
    # itself: it shows only the repeat that the pattern has already. (A part that also recurs
    # elsewhere has runs off this diagonal, which are tried.)
    h = host.reshape(-1, 2)
    both = (h >= 0).all(axis=1) & (h[:, 0] != h[:, 1])
    offset = starts.reshape(-1, 2) - occurrences[np.maximum(h, 0), 0]
    own = both & (np.abs(offset[:, 0] - offset[:, 1]) <= tolerance)
    host[np.repeat(own, 2)] = -1
    out, seen = [], set(tried)
    for i in np.flatnonzero(host >= 0):
        if len(out) >= max_count:
            break
        span = (int(starts[i]), int(ends[i]))
        if span not in seen:
            seen.add(span)
            out.append((*span, int(host[i])))
    return out


def part_level(P, start, end, occurrences, host):
    """Median similarity of a part to its copies in the other occurrences of its pattern.

    Those copies (at the same offset from the start of each occurrence) are repeats found
    already; how similar they are is what a true repeat of this span looks like in this
    piece. A short span reaches the fixed :data:`OCCURRENCE_QUANTILE` by chance in many
    places (:func:`chance_level`); its occurrences elsewhere must reach this level instead
    (:func:`find_parts` caps it).

    Parameters
    ----------
    P : np.ndarray, shape (n + 1, n + 1)
        :func:`diagonal_prefix` of the rank-transformed matrix.
    start, end : int
        The part, in cells.
    occurrences : np.ndarray, shape (k, 2)
        The pattern's spans in cells.
    host : int
        Index in ``occurrences`` of the occurrence that holds the part; its copy is the part
        itself and is left out.

    Returns
    -------
    float or None
        None when no copy fits in the piece.
    """
    length = end - start
    offset = start - occurrences[host][0]
    copies = [c + offset for k, (c, _) in enumerate(occurrences)
              if k != host and c + offset + length <= len(P) - 1]
    if not copies:
        return None
    return float(np.median([(P[end, c + length] - P[start, c]) / length for c in copies]))


def find_parts(P, runs, patterns, family, tried=(), tolerance=0):
    """Step 7: for each pattern, the best of its parts that recurs beyond its copies.

    Parameters
    ----------
    P : np.ndarray, shape (n + 1, n + 1)
        :func:`diagonal_prefix` of the rank-transformed matrix.
    runs : np.ndarray
        From :func:`diagonal_runs`.
    patterns : list of (score, occurrences)
        Step 6's choice.
    family : callable
        ``family(start, end, level)`` -> ``(score, occurrences)`` or None: step 5 for one
        candidate, whose occurrences must reach at least ``level``.
    tried : set of (int, int)
        Step 5's candidates (not tried again).
    tolerance : int
        Of :func:`part_candidates`.

    Returns
    -------
    list of list of (score, occurrences)
        Per pattern, the families of its parts, best first (empty when none recurs).

    Notes
    -----
    A part's occurrences must reach its :func:`part_level`, but no more than the
    :func:`chance_level` of its length for :data:`OCCURRENCE_P` (as similar as 1 in 200
    random pairs of spans of that length): where a pattern's occurrences are exact copies,
    context and all (a repeat rendered from the same notes), the part's copies are identical
    and their level would admit nothing but themselves.
    """
    out, caps = [], {}
    runs = runs[np.argsort(-runs[:, 4], kind="stable")]   # once: sorted, each sort below is quick
    for _, occ in patterns:
        fams = []
        max_len = int(PART_SHARE * (occ[0, 1] - occ[0, 0]))
        for a, b, host in part_candidates(runs, occ, max_len, tried=tried, tolerance=tolerance):
            level = part_level(P, a, b, occ, host)
            if level is None:
                continue
            if b - a not in caps:
                caps[b - a] = chance_level(P, b - a, OCCURRENCE_P)
            level = min(level, caps[b - a])
            # inclusive: a span as similar as the median copy is an occurrence
            fam = family(a, b, np.nextafter(level, -np.inf))
            if fam is not None:
                fams.append(fam)
        out.append(sorted(fams, key=lambda f: -f[0]))
    return out


def as_matrix(X):
    """``X`` as a NumPy array of real numbers (a memory-mapped one stays so: it is read in
    bands); a list of rows is converted, text is refused."""
    if not isinstance(X, np.ndarray):
        X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ParameterError(f"X must hold real numbers, not {X.dtype} values")
    return X


def matrix_rows(X, n_rows=None):
    """The rows of a square ``X`` that are windows: ``n_rows``, checked, or all."""
    if np.ndim(X) != 2 or X.shape[0] != X.shape[1]:
        raise ParameterError(f"X must be a square matrix, not shape {np.shape(X)}")
    if n_rows is None:
        return len(X)
    n_rows = checks.integer(n_rows, "n_rows", minimum=0)
    if n_rows > len(X):
        raise ParameterError(f"n_rows ({n_rows}) exceeds the matrix's {len(X)} rows")
    return n_rows


def prepare_matrix(X, beats_per_frame, n_rows=None, resolution=None, max_cells=None,
                   max_beats=None):
    """Steps 1-3: the matrix the finder reads, on its grid of about ``resolution`` beats.

    Parameters
    ----------
    X : np.ndarray or np.memmap, shape (N, N)
        Self-similarity of windows (higher = more similar), as ``convert.py`` writes it.
    beats_per_frame : float
        Beats per row of ``X``.
    n_rows : int, optional
        Rows of ``X`` that are windows (the rest, e.g. the recipe's 9 padding rows, are
        ignored); default all.
    resolution : float, optional
        Grid of the search in beats (default :data:`RESOLUTION_BEATS`).
    max_cells : int, optional
        Largest grid (default :data:`MAX_CELLS`).
    max_beats : float, optional
        Longest pattern in beats (default :data:`MAX_BEATS`).

    Returns
    -------
    R : np.ndarray, shape (n, n), float32, or None
        Lag-normalised similarities as quantiles of the piece (:func:`rank_transform`); None
        when the piece is too short for two patterns of :data:`MIN_BEATS`.
    factor : int
        Rows of ``X`` per grid cell.
    min_len, max_len : int
        :data:`MIN_BEATS` and ``max_beats`` in cells.

    Raises
    ------
    ParameterError
        When ``X`` is not square, ``n_rows`` not between 0 and its size, or a number not
        positive.
    """
    beats_per_frame = checks.number(beats_per_frame, "beats_per_frame", positive=True)
    resolution = checks.number(RESOLUTION_BEATS if resolution is None else resolution,
                               "resolution", positive=True)
    max_cells = checks.integer(MAX_CELLS if max_cells is None else max_cells, "max_cells")
    max_beats = checks.number(MAX_BEATS if max_beats is None else max_beats, "max_beats",
                              positive=True)
    X = as_matrix(X)
    n_rows = matrix_rows(X, n_rows)
    factor = max(1, int(round(resolution / beats_per_frame)), math.ceil(n_rows / max_cells))
    cell_beats = factor * beats_per_frame
    min_len = max(1, int(math.ceil(MIN_BEATS / cell_beats)))
    max_len = max(min_len, int(max_beats / cell_beats))
    S = pool_matrix(X, factor, n_rows)
    if len(S) < 2 * min_len + 1:
        return None, factor, min_len, max_len
    S = lag_normalise(S, min_len)   # drops the pooled matrix: one n x n array fewer at a time
    return rank_transform(S, min_len), factor, min_len, max_len


def find_patterns(X, beats_per_frame, n_rows=None, resolution=None, max_cells=None,
                  occurrence_p=None, max_beats=None, select=True):
    """Repeated patterns of a self-similarity matrix, ranked best first.

    Parameters
    ----------
    X, beats_per_frame, n_rows, resolution, max_cells
        As for :func:`prepare_matrix` (None: the module's constants).
    occurrence_p : float, optional
        When given (e.g. :data:`OCCURRENCE_P`), an occurrence must also reach the
        :func:`chance_level` of its length for this share, and excess is measured from that
        level: fewer, better placed occurrences. Default: :data:`OCCURRENCE_QUANTILE` alone.
    max_beats
        As for :func:`prepare_matrix` (None: the module's constant); :data:`MOTIF_BEATS`
        searches motifs only.
    select : bool
        False: every candidate's family and every part's (step 7, of the patterns step 6
        chooses), best first, without the choice of steps 6 and 7 (what any choice among them
        could reach: ``bench/discovery.py --candidates``).

    Returns
    -------
    list of (float, np.ndarray)
        ``(score, spans)`` per pattern, best first; ``spans`` is ``(occurrences, 2)`` spans
        ``[start, end)`` of rows of ``X``, in time order (with ``select=False``, the candidate's
        own span first; the caller places a window of features at its centre). The score is the
        sum over the occurrences other than the first of how far their mean similarity
        exceeds :data:`OCCURRENCE_QUANTILE` (or the chance level; for a part, its
        :func:`part_level`; as a share of the distance from it to 1) to the power
        :data:`EXCESS_POWER` (2), times the pattern's length in beats to the power
        :data:`LENGTH_POWER` (½): clear, frequent, long repeats first.
    """
    X = as_matrix(X)
    n_rows = matrix_rows(X, n_rows)
    if occurrence_p is not None:
        occurrence_p = checks.share(occurrence_p, "occurrence_p")
    R, factor, min_len, max_len = prepare_matrix(X, beats_per_frame, n_rows, resolution,
                                                 max_cells, max_beats)
    if R is None:
        return []
    cell_beats = factor * beats_per_frame
    smooth = max(1, int(round(SMOOTH_BEATS / cell_beats)))
    runs = diagonal_runs(smooth_diagonals(R, smooth), RUN_QUANTILE, min_len, max_len, min_len)
    cands = candidates(runs, grid=max(1, int(round(CANDIDATE_GRID_BEATS / cell_beats))))
    P = diagonal_prefix(R)
    del R
    levels = {}

    def family(a, b, least=0.0):
        # step 5 for the span [a, b): its occurrences reach the level of its length, and least
        if occurrence_p is None:
            level = OCCURRENCE_QUANTILE
        else:
            if b - a not in levels:
                levels[b - a] = chance_level(P, b - a, occurrence_p)
            level = levels[b - a]
        level = max(level, least)
        starts, means = path_family(P, a, b, level)
        if len(starts) == 0:
            return None
        excess = (means - level) / (1 - level)
        score = float((excess ** EXCESS_POWER).sum() * ((b - a) * cell_beats) ** LENGTH_POWER)
        return score, np.vstack([[a, b], np.column_stack([starts, starts + (b - a)])])

    families = [f for f in (family(a, b) for a, b in cands) if f is not None]
    chosen = select_patterns(families)
    # a run within a beat (the smoothing of the runs) of a pattern's own diagonal is the pattern
    parts = find_parts(P, runs, chosen, family, tried={(int(a), int(b)) for a, b in cands},
                       tolerance=smooth)
    if select:
        # a pattern's best parts, and only those that step 6 would let through beside them
        chosen = select_patterns([f for p in parts for f in p[:PARTS_PER_PATTERN]], kept=chosen)
    else:
        chosen = families + [f for p in parts for f in p]
    chosen = sorted(chosen, key=lambda f: -f[0])
    return [(score, np.minimum(occ * factor, n_rows)) for score, occ in chosen]
