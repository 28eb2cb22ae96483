"""The audit trail: every write of a ledger in a git work tree is one commit by the acting user.

- A commit names only the files of its change (`git commit --only -- <paths>`),
  so it never takes what another user staged or left uncommitted elsewhere.
- Uncommitted hand edits in a file this change is about to touch are
  committed first, on their own, with an author that says they were found
  (the trail shows who changed what, never one user's change under another's
  name).
- Before anything changes, `voorbereiden` makes sure a commit can be made:
  git is on PATH, and no stale `index.lock` blocks the index. A lock held by a
  live git process (another ledger of the workspace committing) is waited
  for; a lock without one is reported with how to remove it.
- When the commit fails after all, the caller puts the old bytes back: a
  change is never saved without its commit.
"""

from __future__ import annotations

from ledger.buurtbudget.fouten import Fout

import os
import random
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ledger.schrijver.bestanden import stap


class GitFout(Fout):
    """A commit cannot be made; the message is Dutch and says how to recover."""


@dataclass(frozen=True)
class Repo:
    root: Path
    index_lock: Path


def _git_marker(folder: Path) -> Path | None:
    """The nearest `.git` (folder or file) above `folder`: is this a git work tree at all?"""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _email(naam: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", ".", naam.casefold()).strip(".") or "onbekend"
    return f"{slug}@buurtbudget.invalid"


def _env(auteur: str, committer: str, email: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "GIT_AUTHOR_NAME": auteur, "GIT_AUTHOR_EMAIL": email or _email(auteur),
        "GIT_COMMITTER_NAME": committer, "GIT_COMMITTER_EMAIL": email or _email(committer),
        "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C",
    })
    return env


def _run(args: list[str], root: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    cmd = ["git", "-c", "commit.gpgsign=false", *args]
    if stap(f"git {args[0]}", schrijft=args[0] in ("add", "commit", "reset")):  # fault injection: git killed halfway, with the writer
        proc = subprocess.Popen(cmd, cwd=root, env=env or _env("x", "x"),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0.0, 0.03))
        proc.kill()
        os.kill(os.getpid(), signal.SIGKILL)
    return subprocess.run(cmd, cwd=root, env=env or _env("x", "x"),
                          capture_output=True, text=True, timeout=120)


def _live_git_processes(root: Path) -> bool:
    """Is a git process working in this repository (it may hold the index lock)?

    git moves into the top of its work tree when it starts, so its working
    folder is `root` or below it.
    """
    try:
        names = os.listdir("/proc")
    except OSError:
        return True  # cannot tell: assume it is live and wait
    top = root.resolve()
    for name in names:
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            comm = Path("/proc", name, "comm").read_text().strip()
            if not (comm == "git" or comm.startswith("git-")):
                continue
            cwd = Path(os.readlink(f"/proc/{name}/cwd"))
        except OSError:
            continue
        if cwd == top or top in cwd.parents:
            return True
    return False


def _wait_for_index_lock(repo: Repo, wachten: float = 30.0) -> None:
    """Return when the index is free; raise GitFout for a stale lock (no live git process)."""
    deadline = time.monotonic() + wachten
    while repo.index_lock.exists():
        if not _live_git_processes(repo.root):
            time.sleep(0.2)  # a process may just have ended: look once more
            if repo.index_lock.exists() and not _live_git_processes(repo.root):
                raise GitFout(
                    f"git is geblokkeerd door een achtergebleven vergrendeling {repo.index_lock} "
                    "(er draait geen git-proces meer, bijvoorbeeld na een crash). Er is niets gewijzigd. "
                    f"Controleer met 'git -C {repo.root} status' dat niets half is vastgelegd, verwijder "
                    f"dan het bestand ('rm {repo.index_lock}') en probeer het opnieuw."
                )
        if time.monotonic() > deadline:
            raise GitFout(
                f"git blijft vergrendeld ({repo.index_lock}) door een ander git-proces. Er is niets gewijzigd. "
                "Wacht tot dat klaar is en probeer het opnieuw."
            )
        time.sleep(0.1)


def voorbereiden(folder: Path) -> Repo | None:
    """The repository the ledger lives in, ready to commit; None when it is not in a git work tree.

    Raises GitFout (before anything is written) when a commit could not be made.
    """
    if _git_marker(folder) is None:
        return None
    if shutil.which("git") is None:
        raise GitFout(
            f"{folder} staat in een git-repository, maar het programma git is niet gevonden (PATH). "
            "Zonder git kan de wijziging niet in de geschiedenis worden vastgelegd; er is niets gewijzigd. "
            "Installeer git of zet het in PATH en probeer het opnieuw."
        )
    top = _run(["rev-parse", "--show-toplevel"], folder)
    lock = _run(["rev-parse", "--git-path", "index.lock"], folder)
    if top.returncode != 0 or lock.returncode != 0:
        raise GitFout(f"{folder}: git kan de repository niet lezen ({(top.stderr or lock.stderr).strip()}); "
                      "er is niets gewijzigd. Herstel de repository (git status) en probeer het opnieuw.")
    root = Path(top.stdout.strip())
    index_lock = Path(lock.stdout.strip())
    if not index_lock.is_absolute():
        index_lock = (folder / index_lock).resolve()
    repo = Repo(root, index_lock)
    _wait_for_index_lock(repo)
    return repo


def _rel(repo: Repo, paden: Sequence[Path]) -> list[str]:
    return [str(Path(p).resolve().relative_to(repo.root.resolve())) for p in paden]


def _commit(repo: Repo, rel: list[str], auteur: str, committer: str, bericht: str,
            email: str | None = None) -> str:
    env = _env(auteur, committer, email)
    for _ in range(3):
        _wait_for_index_lock(repo)
        add = _run(["add", "--", *rel], repo.root, env)
        out = add
        if add.returncode == 0:
            out = _run(["commit", "-q", "--no-verify", "--only", "-m", bericht, "--", *rel], repo.root, env)
            if out.returncode == 0:
                head = _run(["rev-parse", "HEAD"], repo.root, env)
                return head.stdout.strip()
        err = (out.stderr + out.stdout).strip()
        if "ignored by one of your .gitignore" in err:
            raise GitFout(f"git legt {', '.join(rel)} niet vast: het pad staat in een .gitignore van {repo.root}; "
                          "haal het daar weg (bonnen en ledgers horen in de geschiedenis)")
        if "index.lock" not in err:
            raise GitFout(f"git commit mislukt: {err}")
    raise GitFout(f"git commit mislukt: de git-index bleef vergrendeld ({repo.index_lock})")


def onvastgelegd(repo: Repo, paden: Sequence[Path]) -> list[str]:
    """Those of `paden` whose content differs from the last commit (hand edits not committed)."""
    bestaand = [p for p in paden if Path(p).exists()]
    if not bestaand:
        return []
    out = _run(["status", "--porcelain", "-z", "--untracked-files=all", "--", *_rel(repo, bestaand)], repo.root)
    if out.returncode != 0:
        raise GitFout(f"git status mislukt: {out.stderr.strip()}; er is niets gewijzigd")
    return [item[3:] for item in out.stdout.split("\0") if len(item) > 3]


def leg_gevonden_vast(repo: Repo, paden: Sequence[str], door: str) -> str:
    """Commit uncommitted edits found in files this change will touch, as a commit of their own."""
    bericht = ("Wijzigingen die nog niet waren vastgelegd (buiten buurtbudget om gemaakt), "
               f"gevonden door {door} vóór de volgende wijziging")
    return _commit(repo, list(paden), "onbekend (niet vastgelegde wijziging)", door, bericht)


def git_commit(repo: Repo, paden: Sequence[Path], door: str, bericht: str, details: str = "",
               email: str | None = None) -> str:
    """Commit exactly `paden` as `door` (with `email`, the person's address, when known); returns the hash.

    On failure the index entries of `paden` are reset to the last commit (they
    matched it before this change: `onvastgelegd` was committed first), so
    nothing of the failed change stays staged.
    """
    message = bericht if not details else f"{bericht}\n\n{details}"
    rel = _rel(repo, paden)
    if not rel:  # `git commit --only` without paths would commit whatever is staged
        raise GitFout("niets om vast te leggen")
    try:
        return _commit(repo, rel, door, door, message, email)
    except GitFout:
        _run(["reset", "-q", "--", *rel], repo.root)
        raise


# --------------------------------------------------------------------------- after a crash


def repo_van(folder: Path) -> Repo | None:
    """The repository of `folder` without waiting for its locks (recovery decides about those)."""
    if _git_marker(folder) is None or shutil.which("git") is None:
        return None
    top = _run(["rev-parse", "--show-toplevel"], folder)
    lock = _run(["rev-parse", "--git-path", "index.lock"], folder)
    if top.returncode != 0 or lock.returncode != 0:
        raise GitFout(f"{folder}: git kan de repository niet lezen ({(top.stderr or lock.stderr).strip()})")
    index_lock = Path(lock.stdout.strip())
    return Repo(Path(top.stdout.strip()), index_lock if index_lock.is_absolute() else (folder / index_lock).resolve())


def ruim_vergrendelingen_op(repo: Repo, wachten: float = 30.0) -> list[Path]:
    """Wait for a live git process of this repository; then remove the locks a killed one left.

    Only called when a write of ours was interrupted: the index lock and the
    lock of HEAD and of its branch, when no git process works here any more.
    Returns the locks removed.
    """
    deadline = time.monotonic() + wachten
    while _live_git_processes(repo.root):
        if time.monotonic() > deadline:
            raise GitFout(f"er draait nog een git-proces in {repo.root}; wacht tot dat klaar is en probeer het opnieuw")
        time.sleep(0.1)
    # `git commit --only` builds its commit in a temporary index beside the real one
    locks = [repo.index_lock, *repo.index_lock.parent.glob("next-index-*.lock")]
    for naam in ("HEAD.lock", *(f"{ref}.lock" for ref in _branch(repo))):
        pad = _run(["rev-parse", "--git-path", naam], repo.root)
        if pad.returncode == 0:
            locks.append((repo.root / pad.stdout.strip()).resolve())
    weg = []
    for lock in locks:
        if lock.exists():
            lock.unlink()
            weg.append(lock)
    return weg


def _branch(repo: Repo) -> list[str]:
    ref = _run(["symbolic-ref", "-q", "HEAD"], repo.root)
    return [ref.stdout.strip()] if ref.returncode == 0 and ref.stdout.strip() else []


def in_head(repo: Repo, paden: Sequence[Path]) -> bool:
    """Does the last commit hold every one of `paden` with exactly the bytes it has on disk?"""
    rel = _rel(repo, paden)
    if not rel:
        return False
    tree = _run(["ls-tree", "-z", "HEAD", "--", *rel], repo.root)
    if tree.returncode != 0:
        return False  # no commit yet
    vastgelegd = {}
    for item in tree.stdout.split("\0"):
        if "\t" in item:
            info, naam = item.split("\t", 1)
            vastgelegd[naam] = info.split()[2]
    if set(vastgelegd) != set(rel) or not all(Path(p).is_file() for p in paden):
        return False
    nu = _run(["hash-object", "--", *rel], repo.root)
    return nu.returncode == 0 and nu.stdout.split() == [vastgelegd[r] for r in rel]


def index_naar_head(repo: Repo, paden: Sequence[Path]) -> None:
    """The index entries of `paden` as in the last commit (nothing of an interrupted write stays staged)."""
    rel = _rel(repo, paden)
    if rel:
        out = _run(["reset", "-q", "--", *rel], repo.root)
        if out.returncode != 0:
            raise GitFout(f"git reset mislukt: {(out.stderr + out.stdout).strip()}")
