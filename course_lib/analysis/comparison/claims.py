"""Nine common claims about generative models, each judged by a written rule on measured numbers.

The input is the table that :func:`course_lib.analysis.comparison.measure.measure_all` returns: one row per model
(``"AE"``, ``"VAE"``, ``"CVAE"``, ``"DCGAN"``, ``"WGAN-GP"``, ``"diffusion"``, plus ``"real data"`` for reference), each
a mapping from a metric name to a number (``None`` where the metric does not apply)::

    table = {"AE": {"recon_train": 14.1, "recon_test": 19.0, ...}, "VAE": {...}, ...}

Every :class:`Claim` carries its sentence, the rule in words (with its thresholds), and ``decide``,
a function from the table to one of :data:`VERDICTS`. Nothing is typed by hand: change the numbers
and the verdicts follow. The metrics a rule reads (lower is better unless said):

=====================  ====================================================================
``recon_train/test``   mean squared error per image (sum over the 784 pixels), train / test
``bce_train``          the other ruler: binary cross-entropy per image of the same reconstructions
``sharpness``          variance of the Laplacian of the samples (higher: sharper edges)
``entropy_worst``      entropy of the classes the classifier sees in the samples, / log 10 (1: even),
                       on the worst of the training seeds
``classes_worst``      the fewest classes covered (of 10) over the training seeds
``fd_cv``              spread of the Frechet distance over seeds: std / mean; ``fd_cv_low/high``: its
                       90 % bootstrap interval over the seeds
``roughness``          largest / mean step of the output along latent interpolations (1: even)
``auroc_<set>``        ROC-AUC of the reconstruction error, normal test digits vs anomaly set
``label_accuracy``     share of CVAE samples the classifier assigns the requested label
``fd_mean_low/high``   90 % bootstrap interval of the mean Frechet distance over the seeds
``recall_low/high``    the same for the recall (the samples' diversity; higher is better)
``sample_ms``          milliseconds per sample: the sampling cost, the median of timed runs;
                       ``sample_ms_low/high``: the fastest and the slowest run (claim 9 reads
                       the cost ratio's lower bound from them)
=====================  ====================================================================

Where the table has the budget columns (``code_size``, ``steps``, ``critic_steps``: see ``measure.BUDGET_COLUMNS``),
each verdict's evidence ends with the settings it holds under, e.g. "under: AE code 16, 1,250 steps; VAE code 16,
1,250 steps".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from .timing import has_spread, ratio_bounds

Row = Mapping[str, "float | None"]
Table = Mapping[str, Row]

HOLDS, DOES_NOT_HOLD, DEPENDS = "holds", "does not hold", "depends"
VERDICTS = (HOLDS, DOES_NOT_HOLD, DEPENDS)

# thresholds of the rules, in one place (the sentences below quote them)
TIE = 0.05  # relative differences smaller than 5 % are ties
OVERFIT_GAP = 0.05  # test error at least 5 % above train error counts as over-fitting
ENTROPY_MARGIN = 0.01  # normalised class entropy differences below this are ties
SMOOTH_MARGIN = 0.10  # roughness must differ by 10 % to call one latent space smoother
AUC_GOOD, AUC_POOR = 0.8, 0.6
ACC_GOOD, ACC_POOR = 0.9, 0.5


class MissingMetricError(KeyError):
    """A rule needs a number the table does not have."""

    def __str__(self) -> str:  # KeyError quotes its message; this one reads as a sentence
        return str(self.args[0])


def value(table: Table, model: str, metric: str) -> float:
    """``table[model][metric]`` as a float, or a clear error naming what is missing."""
    if model not in table:
        raise MissingMetricError(f"the table has no row {model!r} (rows: {', '.join(table)}).")
    got = table[model].get(metric)
    if got is None:
        raise MissingMetricError(f"row {model!r} has no value for {metric!r} (it has: {', '.join(k for k, v in table[model].items() if v is not None)}).")
    return float(got)


def relative(a: float, b: float) -> float:
    """(a - b) / |b|: how much larger a is than b, as a fraction of b."""
    return (a - b) / abs(b) if b else float("inf") if a > b else float("-inf") if a < b else 0.0


@dataclass(frozen=True)
class Judgement:
    """A claim's verdict on one table and the numbers it rests on."""

    claim: "Claim"
    verdict: str
    evidence: str

    def __str__(self) -> str:
        return f"{self.claim.number}. {self.claim.text}\n   verdict: {self.verdict.upper()}  ({self.evidence})\n   rule: {self.claim.rule}"


@dataclass(frozen=True)
class Claim:
    """A claim, the rule that judges it (in words), and ``decide(table) -> (verdict, evidence)``."""

    number: int
    text: str
    rule: str
    decide: Callable[[Table], tuple[str, str]]

    def judge(self, table: Table) -> Judgement:
        verdict, evidence = self.decide(table)
        if verdict not in VERDICTS:
            raise ValueError(f"claim {self.number}: a rule must return one of {VERDICTS}, got {verdict!r}.")
        return Judgement(self, verdict, evidence)


def _three_way(diff: float, margin: float, holds_when_negative: bool = True) -> str:
    """HOLDS when ``diff`` is beyond ``-margin`` (or ``+margin``), DOES_NOT_HOLD beyond the other side, else DEPENDS."""
    sign = 1 if holds_when_negative else -1
    if sign * diff <= -margin:
        return HOLDS
    if sign * diff >= margin:
        return DOES_NOT_HOLD
    return DEPENDS


def under(t: Table, *models: str) -> str:
    """The settings the verdict holds under, from the budget columns when the table has them:
    "; under: AE code 16, 1,250 steps; VAE code 16, 1,250 steps; 5 seeds" (empty when it has none)."""
    parts = []
    for m in models:
        row = t.get(m, {})
        said = [f"code {row['code_size']:.0f}"] if row.get("code_size") is not None else []
        if row.get("steps") is not None:
            critic = f" ({row['critic_steps']:,.0f} critic)" if row.get("critic_steps") is not None else ""
            said.append(f"{row['steps']:,.0f} steps{critic}")
        if said:
            parts.append(f"{m} " + ", ".join(said))
    seeds = sorted({t.get(m, {}).get("seeds") for m in models} - {None})
    tail = f"; {'/'.join(f'{s:.0f}' for s in seeds)} seeds" if seeds and parts else ""
    return f"; under: {'; '.join(parts)}{tail}" if parts else ""


# 1 -------------------------------------------------------------------------------------------------
def _ae_reconstructs_better(t: Table) -> tuple[str, str]:
    ae, vae = value(t, "AE", "recon_train"), value(t, "VAE", "recon_train")
    d = relative(ae, vae)
    verdict, evidence = _three_way(d, TIE), f"train squared error AE {ae:.2f} vs VAE {vae:.2f} ({d:+.0%})"
    if t["AE"].get("bce_train") is not None and t["VAE"].get("bce_train") is not None:  # the VAE's own ruler
        ae_bce, vae_bce = value(t, "AE", "bce_train"), value(t, "VAE", "bce_train")
        d_bce = relative(ae_bce, vae_bce)
        evidence += f"; train BCE AE {ae_bce:.1f} vs VAE {vae_bce:.1f} ({d_bce:+.0%})"
        if _three_way(d_bce, TIE) != verdict:
            verdict = DEPENDS  # the two rulers disagree: the answer depends on the ruler
    return verdict, evidence + under(t, "AE", "VAE")


# 2 -------------------------------------------------------------------------------------------------
def _ae_overfits(t: Table) -> tuple[str, str]:
    gaps = {m: relative(value(t, m, "recon_test"), value(t, m, "recon_train")) for m in ("AE", "VAE")}
    ae_test, vae_test = value(t, "AE", "recon_test"), value(t, "VAE", "recon_test")
    evidence = (f"test/train gap AE {gaps['AE']:+.0%}, VAE {gaps['VAE']:+.0%}; test error AE {ae_test:.2f}, VAE {vae_test:.2f}"
                + under(t, "AE", "VAE"))
    if gaps["AE"] < OVERFIT_GAP or gaps["AE"] <= gaps["VAE"]:
        return DOES_NOT_HOLD, evidence
    if vae_test < ae_test:
        return HOLDS, evidence
    return DEPENDS, evidence


# 3 -------------------------------------------------------------------------------------------------
GANS = ("DCGAN", "WGAN-GP")


def _vae_blurrier(t: Table) -> tuple[str, str]:
    vae = value(t, "VAE", "sharpness")
    gans = {g: value(t, g, "sharpness") for g in GANS}
    diffs = [relative(vae, s) for s in gans.values()]  # negative: the VAE is blurrier
    evidence = f"sharpness VAE {vae:.3g}, " + ", ".join(f"{g} {s:.3g}" for g, s in gans.items()) + under(t, "VAE", *GANS)
    if all(d <= -TIE for d in diffs):
        return HOLDS, evidence
    if all(d >= TIE for d in diffs):
        return DOES_NOT_HOLD, evidence
    return DEPENDS, evidence


# 4 -------------------------------------------------------------------------------------------------
def _gans_collapse(t: Table) -> tuple[str, str]:
    vae = value(t, "VAE", "entropy_worst")
    vae_classes = value(t, "VAE", "classes_worst")
    gans = {g: (value(t, g, "entropy_worst"), value(t, g, "classes_worst")) for g in GANS}
    evidence = f"worst seed: VAE entropy {vae:.3f} ({vae_classes:.0f}/10 classes), " + ", ".join(
        f"{g} {e:.3f} ({c:.0f}/10)" for g, (e, c) in gans.items()
    ) + under(t, "VAE", *GANS)
    gan_less_even = any(e < vae - ENTROPY_MARGIN or c < vae_classes for e, c in gans.values())
    gan_as_even = all(e >= vae - ENTROPY_MARGIN and c >= vae_classes for e, c in gans.values())
    if gan_less_even and all(e <= vae + ENTROPY_MARGIN for e, _ in gans.values()):
        return HOLDS, evidence
    if gan_as_even:
        return DOES_NOT_HOLD, evidence
    return DEPENDS, evidence


# 5 -------------------------------------------------------------------------------------------------
MIN_SEEDS = 5  # a spread over fewer seeds is too uncertain to decide claim 5


def _stability(t: Table) -> tuple[str, str]:
    models = ("VAE", "DCGAN", "WGAN-GP")
    cv = {m: value(t, m, "fd_cv") for m in models}
    interval = {m: (value(t, m, "fd_cv_low"), value(t, m, "fd_cv_high")) for m in models}
    evidence = "spread of FD over seeds (std/mean, 90 % interval): " + ", ".join(
        f"{m} {cv[m]:.0%} [{lo:.0%}, {hi:.0%}]" for m, (lo, hi) in interval.items()) + under(t, *models)
    seeds = min(value(t, m, "seeds") for m in models)
    if seeds < MIN_SEEDS:
        return DEPENDS, evidence + f" (fewer than {MIN_SEEDS} seeds: too few to tell spreads apart)"
    dcgan_low, dcgan_high = interval["DCGAN"]

    def compared(m: str) -> int:  # -1: steadier than the DCGAN, +1: less steady, 0: the intervals overlap
        low, high = interval[m]
        return -1 if high < dcgan_low else 1 if low > dcgan_high else 0

    vae, gp = compared("VAE"), compared("WGAN-GP")
    if vae == gp == -1:
        return HOLDS, evidence
    if vae >= 0 and gp >= 0 and (vae == 1 or gp == 1):
        return DOES_NOT_HOLD, evidence
    return DEPENDS, evidence


# 6 -------------------------------------------------------------------------------------------------
def _smooth_latent(t: Table) -> tuple[str, str]:
    ae, vae = value(t, "AE", "roughness"), value(t, "VAE", "roughness")
    d = relative(vae, ae)
    return _three_way(d, SMOOTH_MARGIN), f"interpolation roughness VAE {vae:.2f} vs AE {ae:.2f} ({d:+.0%})" + under(t, "AE", "VAE")


# 7 -------------------------------------------------------------------------------------------------
def auroc_keys(row: Row) -> list[str]:
    return sorted(k for k, v in row.items() if k.startswith("auroc_") and v is not None)


def _anomalies(t: Table) -> tuple[str, str]:
    aucs = {(m, k): value(t, m, k) for m in ("AE", "VAE") for k in auroc_keys(t.get(m, {}))}
    if not aucs:
        raise MissingMetricError("rows 'AE' and 'VAE' have no auroc_<set> values.")
    evidence = "ROC-AUC " + ", ".join(f"{m} {k[6:].replace('_', ' ')} {a:.2f}" for (m, k), a in aucs.items()) + under(t, "AE", "VAE")
    if all(a >= AUC_GOOD for a in aucs.values()):
        return HOLDS, evidence
    if all(a <= AUC_POOR for a in aucs.values()):
        return DOES_NOT_HOLD, evidence
    return DEPENDS, evidence


# 8 -------------------------------------------------------------------------------------------------
def _controlled(t: Table) -> tuple[str, str]:
    acc = value(t, "CVAE", "label_accuracy")
    evidence = f"classifier agrees with the requested label on {acc:.0%} of CVAE samples" + under(t, "CVAE")
    if acc >= ACC_GOOD:
        return HOLDS, evidence
    if acc <= ACC_POOR:
        return DOES_NOT_HOLD, evidence
    return DEPENDS, evidence


# 9 -------------------------------------------------------------------------------------------------
RIVALS = ("VAE", "CVAE", "DCGAN", "WGAN-GP")  # the VAEs and the GANs
COST_FACTOR = 2.0  # "a higher sampling cost": at least twice the time per sample of every rival


def _interval_order(t: Table, a: str, b: str, low: str, high: str) -> int:
    """-1 when ``a``'s interval lies wholly below ``b``'s, +1 wholly above, 0 when they overlap."""
    a_low, a_high, b_low, b_high = value(t, a, low), value(t, a, high), value(t, b, low), value(t, b, high)
    return -1 if a_high < b_low else 1 if a_low > b_high else 0


def _diffusion_better(t: Table) -> tuple[str, str]:
    fd = {m: _interval_order(t, "diffusion", m, "fd_mean_low", "fd_mean_high") for m in RIVALS}  # -1: lower FD (better)
    recall = {m: _interval_order(t, "diffusion", m, "recall_low", "recall_high") for m in RIVALS}  # +1: higher recall
    cost = {m: ratio_bounds(_timing(t, "diffusion"), _timing(t, m)) for m in RIVALS}  # (low, ratio, high)
    spread = all(has_spread(t[m]) for m in ("diffusion", *RIVALS))
    word = {-1: "below", 0: "overlaps", 1: "above"}
    show = lambda m, key: f"{value(t, m, key + '_low'):.3g}-{value(t, m, key + '_high'):.3g}"  # noqa: E731
    evidence = (
        f"mean FD over seeds (90 % interval) diffusion {show('diffusion', 'fd_mean')}: "
        + ", ".join(f"{word[fd[m]]} {m} {show(m, 'fd_mean')}" for m in RIVALS)
        + f"; mean recall diffusion {show('diffusion', 'recall')}: "
        + ", ".join(f"{word[recall[m]]} {m} {show(m, 'recall')}" for m in RIVALS)
        + f"; {_ms(t, 'diffusion')} per sample, "
        + ", ".join(f"{c:.0f}x {m}'s" + (f" (at least {low:.0f}x)" if spread else "") for m, (low, c, _) in cost.items())
        + ("" if spread else " (no spread of the timings recorded: the ratios of the means)")
        + under(t, "diffusion", *RIVALS)
    )
    better = all(d == -1 for d in fd.values()) and all(d == 1 for d in recall.values())
    beaten = any(d == 1 for d in fd.values()) or any(d == -1 for d in recall.values())
    costlier = all(low >= COST_FACTOR for low, _, _ in cost.values())  # beyond the spreads of the timed runs
    cheaper = any(high < COST_FACTOR for _, _, high in cost.values())  # not that much slower than one rival, beyond them
    if better and costlier:
        return HOLDS, evidence
    if beaten or cheaper:
        return DOES_NOT_HOLD, evidence
    return DEPENDS, evidence


def _timing(t: Table, model: str) -> dict[str, float | None]:
    """The model's sampling cost: ``sample_ms`` and, where the table has them, the fastest and slowest timed runs."""
    value(t, model, "sample_ms")  # a clear error when it is missing
    return {k: t[model].get(k) for k in ("sample_ms", "sample_ms_low", "sample_ms_high")}


def _ms(t: Table, model: str) -> str:
    """"16 ms (15-17 over 5 timed runs)", or "16 ms" for a table without the spread."""
    row = t[model]
    text = f"{value(t, model, 'sample_ms'):.2g} ms"
    if has_spread(row):
        runs = f" over {row['sample_runs']:.0f} timed runs" if row.get("sample_runs") is not None else ""
        text += f" ({row['sample_ms_low']:.2g}-{row['sample_ms_high']:.2g}{runs})"
    return text


CLAIMS: tuple[Claim, ...] = (
    Claim(1, "Autoencoders reconstruct training data better than VAEs.",
          f"holds if the AE's train reconstruction error (squared error) is at least {TIE:.0%} below the VAE's; does not "
          f"hold if it is at least {TIE:.0%} above; depends (a tie) in between, or when the other ruler (BCE, the VAE's "
          "own loss) gives another verdict.", _ae_reconstructs_better),
    Claim(2, "Autoencoders over-fit: their error on unseen data is worse; VAEs generalise better.",
          f"holds if the AE's test error exceeds its train error by at least {OVERFIT_GAP:.0%}, by more than the VAE's "
          "does, and the VAE's test error is the lower; does not hold if the AE's gap is below that or not larger "
          "than the VAE's; depends when the AE's gap is larger but its test error is still the lower.", _ae_overfits),
    Claim(3, "VAE samples are blurrier than GAN samples.",
          f"holds if the VAE samples' sharpness is at least {TIE:.0%} below both GANs'; does not hold if at least "
          f"{TIE:.0%} above both; depends otherwise.", _vae_blurrier),
    Claim(4, "GANs can suffer mode collapse; VAEs cover the data more evenly.",
          "on each model's worst seed: holds if a GAN covers fewer classes than the VAE or has a class entropy more "
          f"than {ENTROPY_MARGIN} below the VAE's (and no GAN is more even than the VAE by more than {ENTROPY_MARGIN}); "
          "does not hold if both GANs cover as many classes and are as even; depends otherwise.", _gans_collapse),
    Claim(5, "VAEs are more stable and easier to train than GANs; WGAN-GP stabilises GAN training.",
          f"with the spread of the Frechet distance over at least {MIN_SEEDS} training seeds (std / mean) and its 90 % "
          "bootstrap interval over the seeds: holds if the VAE's and the WGAN-GP's intervals both lie below the DCGAN's; "
          "does not hold if neither lies below and one lies above; depends otherwise (overlapping intervals: the seeds "
          "cannot tell the spreads apart).", _stability),
    Claim(6, "The VAE latent space is smooth: small moves in z give small changes in the output; an AE's is not.",
          f"holds if the VAE's interpolation roughness is at least {SMOOTH_MARGIN:.0%} below the AE's; does not hold if "
          f"at least {SMOOTH_MARGIN:.0%} above; depends in between.", _smooth_latent),
    Claim(7, "Reconstruction error detects anomalies.",
          f"holds if the ROC-AUC of the AE's and the VAE's reconstruction error is at least {AUC_GOOD} on every "
          f"anomaly set; does not hold if it is at most {AUC_POOR} on every set; depends otherwise.", _anomalies),
    Claim(8, "A CVAE gives controlled generation: the label decides the class of the sample.",
          f"holds if the classifier gives at least {ACC_GOOD:.0%} of CVAE samples the requested label; does not hold "
          f"at {ACC_POOR:.0%} or less; depends in between.", _controlled),
    Claim(9, "Diffusion models give better and more diverse samples than VAEs and GANs, at a higher sampling cost.",
          "with 90 % bootstrap intervals of the mean over the training seeds: holds if the diffusion model's interval of "
          f"the FD lies below, and its interval of the recall above, those of the {', '.join(RIVALS)}, and it takes at "
          f"least {COST_FACTOR:g} times as long per sample as each of them (the ratio's lower bound: its fastest timed "
          "run against the rival's slowest); does not hold if one of them is better in FD or in recall (intervals apart "
          "on the other side) or it is less than that much slower even at the upper bound; depends otherwise "
          "(overlapping intervals).", _diffusion_better),
)


def judge_all(table: Table, claims: Sequence[Claim] = CLAIMS) -> list[Judgement]:
    """Every claim's verdict on ``table``, in order."""
    return [claim.judge(table) for claim in claims]


def verdict_rows(judgements: Sequence[Judgement]) -> list[dict[str, str]]:
    """One dict per claim (number, claim, verdict, evidence, rule), for a table or a JSON file."""
    return [
        {"claim": str(j.claim.number), "text": j.claim.text, "verdict": j.verdict, "evidence": j.evidence, "rule": j.claim.rule}
        for j in judgements
    ]


def verdicts_html(judgements: Sequence[Judgement]) -> str:
    """The verdicts as an HTML table (colour by verdict), for ``IPython.display.HTML``."""
    colour = {HOLDS: "#d9f2d9", DOES_NOT_HOLD: "#f8d7d7", DEPENDS: "#fff3cd"}
    rows = "".join(
        f"<tr><td>{j.claim.number}</td><td style='text-align:left'>{j.claim.text}</td>"
        f"<td style='background:{colour[j.verdict]};font-weight:bold'>{j.verdict}</td>"
        f"<td style='text-align:left'>{j.evidence}</td><td style='text-align:left;font-size:85%'>{j.claim.rule}</td></tr>"
        for j in judgements
    )
    head = "<tr><th>#</th><th>claim</th><th>verdict</th><th>measured</th><th>rule</th></tr>"
    return f"<table>{head}{rows}</table>"


__all__ = [
    "CLAIMS", "Claim", "DEPENDS", "DOES_NOT_HOLD", "HOLDS", "Judgement", "MissingMetricError", "VERDICTS",
    "judge_all", "relative", "under", "value", "verdict_rows", "verdicts_html",
]
