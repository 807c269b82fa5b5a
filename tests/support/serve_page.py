"""Run the chat page for the browser tests: serve_page.py CORPUS INDEX PORT [--user U --password P] [--real]
[--llm-url URL] (LLM mode against an OpenAI-compatible server, e.g. tests/support/llm_server.py)."""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for tests.support.fakes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("index")
    ap.add_argument("port", type=int)
    ap.add_argument("--user", default="")
    ap.add_argument("--password", default="")
    ap.add_argument("--real", action="store_true", help="use the packaged embedding model instead of the hash fake")
    ap.add_argument(
        "--llm-url", default="", help="answer in LLM mode through this OpenAI-compatible server (model test-model)"
    )
    args = ap.parse_args()

    from assistant.app import build
    from assistant.settings import Settings
    from assistant.web.server import launch

    extra: dict = {} if args.real else {"min_score": 0.5}  # the hash embedder's similarities are lower than the model's
    if args.llm_url:  # the scripted model answers whatever is retrieved
        extra = {
            "min_score": 0.0,
            "answer_mode": "llm",
            "llm_provider": "openai-like",
            "llm_model": "test-model",
            "llm_base_url": args.llm_url,
        }
    settings = Settings(
        corpus_dir=args.corpus,
        index_dir=args.index,
        port=args.port,
        auth_user=args.user,
        auth_password=args.password,
        upload_max_mb=5,
        **extra,
    )
    embedder = None
    if not args.real:
        from tests.support.fakes import HashEmbedder

        embedder = HashEmbedder()
    app = build(settings, embedder=embedder)
    app.sync()
    launch(app, block=True, quiet=True)


if __name__ == "__main__":
    main()
