"""``swerve init DIR``: a new site's project, ready for ``wrangler dev`` and ``swerve push``.

The Worker (``worker/``), the D1 migrations and wrangler.toml come from the Swerve
checkout this CLI runs from, so the new site deploys exactly this version; the rules
are a small starter with the editor schema line; ``.dev.vars`` gets random development
secrets; README.md holds the next steps.
"""

import datetime
import json
import re
from pathlib import Path

from . import dev_vars
from .editor_schema import SCHEMA_FILE, json_schema, schema_line
from .errors import CliError

CHECKOUT = Path(__file__).resolve().parents[2]

STARTER_RULES = """\
{schema_line}
# Rule files: flags, segments and events (docs/rules.md in Swerve describes every field).
events:
  signup:
    description: A completed signup.
    path: ^/signup/done

segments:
  returning:
    description: Came back in at least a second session.
    when:
      behavior.sessions: {{ $gte: 2 }}

flags:
  welcome-banner:
    description: A welcome line above the page for half of the visitors.
    owner: you@example.com
    expires: {expires}
    client: true
    variants:
      hidden:
        value: false
      shown:
        value: true
        html:
          - selector: body
            prepend: '<p class="welcome" id="welcome-banner">Welcome!</p>'
    default: hidden
    rules:
      - description: Returning visitors have seen it already.
        segments: [returning]
        variant: hidden
      - rollout:
          weights: {{ hidden: 50, shown: 50 }}
"""

NEXT_STEPS = """\
# {name}

Swerve in front of a site: rules in `rules/`, the Worker in `worker/` (Swerve {version}).

## Next steps

1. Install the pinned local runtime (wrangler 3.92, offline-capable) and check the rules:

   ```sh
   npm install
   swerve validate
   ```

   Rule files start with a `yaml-language-server` line: in VS Code, with the YAML
   extension (redhat.vscode-yaml), `rules.schema.json` gives completion and checks.

2. Point the local Worker at your site: in `wrangler.toml`, set `ORIGIN_URL` under
   `[env.local.vars]` to where your site runs locally (for example http://127.0.0.1:3000).

3. Publish the rules to local KV and start the Worker (both use `.wrangler/state`;
   secrets come from `.dev.vars`, created with random development keys):

   ```sh
   swerve push -m "first rules" --yes
   npx wrangler d1 migrations apply SWERVE_STATS --local --env local
   npx wrangler dev --env local
   ```

   Open http://127.0.0.1:8787/. `swerve status` shows what is live; `swerve explain
   --from current --url http://127.0.0.1:8787/` shows why a visitor gets what they get.

4. Deploy: create the KV namespace and D1 database and put their ids in `wrangler.toml`,
   set the secrets, add a route, then `npx wrangler deploy` and
   `swerve push --remote -m "first rules"` (Swerve's docs/deploy.md).
"""

GITIGNORE = ".wrangler/\n.dev.vars\nnode_modules/\n"


def _expires() -> str:
    return (datetime.date.today() + datetime.timedelta(days=90)).isoformat()


def _wrangler_toml(name: str) -> str:
    text = (CHECKOUT / "wrangler.toml").read_text(encoding="utf-8")
    text = re.sub(r'^name = ".*"$', f'name = "{name}"', text, count=1, flags=re.M)
    title = f"# {name}: Swerve in front of a site."
    return re.sub(r"^# Swerve in front of a site\..*$", title, text, count=1, flags=re.M)


def _package_json(name: str) -> str:
    pinned = json.loads((CHECKOUT / "package.json").read_text(encoding="utf-8"))["devDependencies"]["wrangler"]
    package = {"name": name, "private": True, "devDependencies": {"wrangler": pinned}}
    return json.dumps(package, indent=2) + "\n"


def worker_sources() -> list[Path]:
    """The Worker bundle's files in the Swerve checkout (CliError when not run from one)."""
    worker = CHECKOUT / "worker"
    if not (worker / "entry.py").is_file():
        raise CliError(
            "swerve init copies the Worker from a Swerve checkout, and none is beside this installation: "
            "install Swerve from a clone (`make install`, or `pip install -e .`)"
        )
    return sorted(p for p in worker.rglob("*.py") if "__pycache__" not in p.parts)


def scaffold(target: Path, version: str) -> list[Path]:
    """Create the new site in ``target`` (absent or empty); the files written, relative to it."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CliError(f"{target} exists and is not an empty directory: pick a new one")
    name = re.sub(r"[^a-z0-9-]+", "-", target.resolve().name.lower()).strip("-") or "swerve-site"
    sources = worker_sources()
    files: dict[Path, str] = {
        Path("wrangler.toml"): _wrangler_toml(name),
        Path("package.json"): _package_json(name),
        Path(".gitignore"): GITIGNORE,
        Path("README.md"): NEXT_STEPS.format(name=name, version=version),
        Path("rules") / "site.yaml": STARTER_RULES.format(schema_line=schema_line(1), expires=_expires()),
        Path(SCHEMA_FILE): json.dumps(json_schema(), indent=2) + "\n",
    }
    for source in sources:
        files[Path("worker") / source.relative_to(CHECKOUT / "worker")] = source.read_text(encoding="utf-8")
    for migration in sorted((CHECKOUT / "migrations").glob("*.sql")):
        files[Path("migrations") / migration.name] = migration.read_text(encoding="utf-8")
    written = []
    try:
        for relative, text in files.items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(relative)
        if dev_vars.create(target / dev_vars.FILE):
            written.append(Path(dev_vars.FILE))
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc}") from exc
    return written
