"""The job commands of `python -m seedbed`: generate, resume, jobs, cancel.

`generate` starts a job and runs it in the foreground, or, with a Ray cluster
(`--ray ADDRESS` or RAY_ADDRESS), submits it to the cluster and follows its
progress (Ctrl-C stops following, not the job); `resume` goes on with a job that
was cancelled, stopped, failed or killed, where it ran; `jobs` lists them;
`cancel` stops one. The API key comes from OPENAI_API_KEY (on a cluster: each
node's own) and is never stored.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

from seedbed.cluster import cluster_address
from seedbed.errors import InputError, user_input
from seedbed.jobs import batch_rows, runner
from seedbed.jobs import requests as job_requests
from seedbed.jobs import state as jobs
from seedbed.jobs.state import LIVE, Job, JobProgress, JobSettings, JobStatus
from seedbed.llm import BackendConfig, checked_base_url, parse_extra_params
from seedbed.methods import METHODS
from seedbed.models import Project
from seedbed.store.core import Store

FindProject = Callable[[Store, str], Project]
_SHOWN_FAILURES = 20


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add generate, resume and jobs to the command line's subcommands."""
    generate = commands.add_parser("generate", help="run a generation job into a project")
    generate.add_argument("--project", required=True, help="project name")
    generate.add_argument("--method", choices=list(METHODS), required=True)
    generate.add_argument("-n", type=int, default=5, help="how many candidates")
    generate.add_argument("--backend", choices=["embedded", "openai"], default="embedded")
    generate.add_argument("--model", default="", help="model name for --backend openai")
    generate.add_argument("--base-url", default="", help="OpenAI-compatible server URL")
    generate.add_argument(
        "--stage-model",
        action="append",
        default=[],
        metavar="STAGE=MODEL",
        help="another model for one stage of the method, e.g. classify=gpt-4o-mini (repeatable)",
    )
    generate.add_argument(
        "--concurrency", type=int, default=8, help="most requests at once (adapts to the server)"
    )
    generate.add_argument(
        "--timeout",
        type=float,
        help="seconds a reply may take, per attempt (default: SEEDBED_TIMEOUT, else 60)",
    )
    generate.add_argument("--budget-tokens", type=int, help="stop before passing this many tokens")
    generate.add_argument("--budget-usd", type=float, help="stop before passing this cost")
    generate.add_argument("--options", default="{}", help="method options as JSON")
    generate.add_argument(
        "--semantic-duplicates",
        action="store_true",
        help="also flag candidates whose embedding is within cosine 0.9 of a pool text",
    )
    generate.add_argument(
        "--extra-params",
        default="",
        metavar="JSON",
        help='more request fields for --backend openai, e.g. \'{"top_k": 40, "min_p": 0.05}\'',
    )
    generate.add_argument(
        "--batch-from",
        type=int,
        metavar="N",
        help="send jobs of at least N candidates through the provider's Batch API",
    )
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--ray", metavar="ADDRESS", help=_RAY_HELP)

    resume = commands.add_parser("resume", help="go on with an unfinished job")
    resume.add_argument("--job", type=int, required=True, help="job id (see `jobs`)")
    resume.add_argument(
        "--retry-failed", action="store_true", help="send the failed requests again too"
    )
    resume.add_argument("--ray", metavar="ADDRESS", help=_RAY_HELP)

    listing = commands.add_parser("jobs", help="list the generation jobs")
    listing.add_argument("--project", help="only this project's jobs")

    cancel = commands.add_parser("cancel", help="stop a running job (a resume goes on)")
    cancel.add_argument("--job", type=int, required=True, help="job id (see `jobs`)")


_RAY_HELP = (
    "run the job on the Ray cluster at ADDRESS (default: RAY_ADDRESS); "
    "its nodes send with their own OPENAI_API_KEY"
)


def run(store: Store, args: argparse.Namespace, find_project: FindProject) -> int:
    """Run the job command `args.command`; the process exit code."""
    if args.command == "jobs":
        project = find_project(store, args.project) if args.project else None
        return _list(store, project)
    if args.command == "cancel":
        jobs.cancel_job(store, args.job)
        print(f"job {args.job}: cancel asked; the requests in flight finish first")
        return 0
    address = cluster_address(args.ray)
    if args.command == "generate":
        project = find_project(store, args.project)
        settings = _settings(args).model_copy(update={"cluster": address is not None})
        job_id = runner.start_job(store, project, settings)
        wanted = f"{args.n} candidate{'s' if args.n != 1 else ''} wanted"
        print(f"job {job_id} started: {args.method}, {wanted}", flush=True)
    else:
        job_id = args.job
        job = jobs.get_job(store, job_id)
        on_cluster = job is not None and job.settings.cluster
        if on_cluster and address is None:
            raise InputError(f"Job {job_id} runs on a Ray cluster: pass --ray ADDRESS.")
        address = address if on_cluster else None  # a job resumes where it ran
        if args.retry_failed:
            job_requests.retry_failed(store, job_id)
    if address is None:
        return _report(store, runner.run_job(store, job_id, on_progress=_print_progress))
    from seedbed.jobs import ray_runner  # Ray is imported only when a cluster is used

    ray_runner.submit(store, job_id, address)
    print(f"job {job_id} submitted to the Ray cluster at {address}", flush=True)
    return _follow(store, job_id)


def _follow(store: Store, job_id: int, poll_seconds: float = 1.0) -> int:
    """Print a job's progress from the store until it ends; Ctrl-C leaves it running."""
    last = ""
    try:
        while True:
            job = jobs.get_job(store, job_id)
            line = _line(job_requests.job_progress(store, job))
            if line != last:
                print(line, flush=True)
                last = line
            if job.status not in LIVE or runner.is_interrupted(job):
                return _report(store, job)
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        print(f"stopped following; job {job_id} goes on (`jobs`, `cancel --job {job_id}`)")
        return 0


def _settings(args: argparse.Namespace) -> JobSettings:
    """The job settings the generate arguments describe; InputError says what is wrong."""
    extra = parse_extra_params(args.extra_params)
    if extra and args.backend != "openai":
        raise InputError("--extra-params needs --backend openai.")
    base_url = checked_base_url(args.base_url)
    timing = {} if args.timeout is None else {"timeout": args.timeout}
    with user_input("--timeout"):
        backend = BackendConfig(
            kind=args.backend, model=args.model, base_url=base_url, extra_body=extra, **timing
        )
    stages = METHODS[args.method].stages
    stage_backends = {}
    for item in args.stage_model:
        stage, _, model = item.partition("=")
        if stage not in stages or not model.strip():
            raise InputError(
                f"--stage-model {item!r}: use STAGE=MODEL with a stage of {args.method} "
                f"({', '.join(stages)})."
            )
        stage_backends[stage] = backend.model_copy(update={"model": model.strip()})
    try:
        options = json.loads(args.options)
    except json.JSONDecodeError as error:
        raise InputError(f"--options is not valid JSON: {error}") from None
    with user_input("Job settings"):
        return JobSettings(
            method=args.method,
            n=args.n,
            seed=args.seed,
            options=options,
            backend=backend,
            stage_backends=stage_backends,
            concurrency=args.concurrency,
            budget_tokens=args.budget_tokens,
            budget_usd=args.budget_usd,
            batch_from=args.batch_from,
            semantic_duplicates=args.semantic_duplicates,
        )


def _line(progress: JobProgress) -> str:
    cost = f", ${progress.cost_usd:.4f}" if progress.cost_usd else ""
    return (
        f"{progress.stored}/{progress.n} candidates ({progress.filtered} flagged), "
        f"{progress.failed} failed requests, {progress.tokens:,} tokens{cost}"
    )


def _print_progress(progress: JobProgress) -> None:
    print(_line(progress), flush=True)


def _report(store: Store, job: Job) -> int:
    """Print how the job ended and why each failed request failed; 0 unless it failed."""
    progress = job_requests.job_progress(store, job)
    print(f"job {job.id} {job.status}: {_line(progress)}, {progress.elapsed_seconds:.1f} s")
    if job.message:
        print(f"  {job.message}", file=sys.stderr if job.status == JobStatus.FAILED else None)
    for line in batch_rows.summary(store, job.id):
        print(f"  {line}")
    if nodes := _nodes(store, job):
        print(f"  {nodes}")
    failures = job_requests.failed_requests(store, job.id)
    for record in failures[:_SHOWN_FAILURES]:
        print(f"  failed {record.request.key}: {record.error}", file=sys.stderr)
    if len(failures) > _SHOWN_FAILURES:
        print(f"  ... and {len(failures) - _SHOWN_FAILURES} more failed", file=sys.stderr)
    if job.status in (JobStatus.FAILED, JobStatus.CANCELLED) or runner.is_interrupted(job):
        retry = " --retry-failed" if failures else ""
        print(f"  resume with: python -m seedbed resume --job {job.id}{retry}", file=sys.stderr)
        return 1
    if failures and progress.stored < progress.n:  # e.g. timeouts behind a busy server
        print(
            f"  retry the failed requests: python -m seedbed resume --job {job.id} --retry-failed"
        )
    return 0


def _list(store: Store, project: Project | None) -> int:
    names = {p.id: p.name for p in store.list_projects()}
    listed = jobs.list_jobs(store, project.id if project else None, limit=100)
    for job in listed:
        progress = job_requests.job_progress(store, job)
        status = "interrupted" if runner.is_interrupted(job) else job.status.value
        where = f"{names.get(job.project_id, '?')} / {job.method}"
        note = f"  ({job.message})" if job.message else ""
        nodes = f"  {_nodes(store, job)}" if job.settings.cluster else ""
        print(f"{job.id:>5}  {status:<11}  {where}: {_line(progress)}{nodes}{note}")
    if not listed:
        print("no jobs yet")
    return 0


def _nodes(store: Store, job: Job) -> str:
    """The Ray nodes that served the job and how many requests each; "" for none."""
    served = job_requests.nodes_served(store, job.id)
    return "served by " + ", ".join(f"{n} ({c})" for n, c in served.items()) if served else ""
