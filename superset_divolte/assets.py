"""Assets as code: the YAML tree of databases, datasets, charts and dashboards.

Files follow Superset's v1 import/export layout (``databases/``,
``datasets/<database>/``, ``charts/``, ``dashboards/``), kept under the repo's
``datasets/`` and ``dashboards/`` folders. Two YAML tags make one tree serve
several targets without copying files, and keep secrets out of them:

- ``!target {duckdb: …, druid: …}`` picks a value per target;
- ``!env "druid://${DRUID_HOST:-127.0.0.1}:8082/…"`` takes ``${VAR}`` (or
  ``${VAR:-default}``) from the environment when provisioning.

Both are resolved before Superset sees a file, so they never clash with the
Jinja (``{{ … }}``) that Superset evaluates inside dataset SQL at query time.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

ASSET_KINDS = ("databases", "datasets", "charts", "dashboards")
TARGETS = ("duckdb", "druid")
TREE_FOLDERS = ("datasets", "dashboards")
"""Folders of a repository that hold parts of the asset tree."""
ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True)
class TargetChoice:
    """A value that differs per target: ``!target {target: value}``."""

    values: dict[str, Any]


@dataclass(frozen=True)
class EnvString:
    """A string completed from the environment at provisioning time: ``!env "…${VAR}…"``."""

    template: str

    def variables(self) -> list[str]:
        """Names of the environment variables this string reads."""
        return [match.group(1) for match in ENV_REFERENCE.finditer(self.template)]


MAX_NESTING = 64
"""Deepest nesting of a document: asset files need about ten levels; deeper only exhausts the stack."""
MAX_EXPANDED_NODES = 500_000
"""Most values a document may hold once aliases are expanded (a 'billion laughs' file holds 10^9)."""


class YamlLimitExceeded(yaml.composer.ComposerError):
    """A document nests too deep or expands too far through aliases to be an asset file."""


class AssetLoader(yaml.SafeLoader):
    """Safe YAML loading plus the ``!target`` and ``!env`` tags, with bounded nesting and alias expansion."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._nesting = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Superset's composer, refusing documents nested deeper than ``MAX_NESTING``."""
        self._nesting += 1
        try:
            if self._nesting > MAX_NESTING:
                raise YamlLimitExceeded(None, None, f"nested deeper than {MAX_NESTING} levels",
                                        self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._nesting -= 1

    def get_single_node(self) -> Any:
        """The document's node graph, refused when aliases expand it past ``MAX_EXPANDED_NODES``."""
        node = super().get_single_node()
        if node is not None:
            _expanded_size(node, {})
        return node


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """Values in ``node`` with every alias expanded; shared nodes are counted once per use, computed once."""
    if id(node) in sizes:
        if sizes[id(node)] < 0:
            raise YamlLimitExceeded(None, None, "an alias refers to a value that contains it", node.start_mark)
        return sizes[id(node)]
    sizes[id(node)] = -1
    children = node.value if isinstance(node, yaml.SequenceNode) else (
        [part for pair in node.value for part in pair] if isinstance(node, yaml.MappingNode) else [])
    size = 1 + sum(_expanded_size(child, sizes) for child in children)
    if size > MAX_EXPANDED_NODES:
        raise YamlLimitExceeded(None, None, f"aliases expand it to more than {MAX_EXPANDED_NODES:,} values",
                                node.start_mark)
    sizes[id(node)] = size
    return size


class AssetDumper(yaml.SafeDumper):
    """The one canonical way asset files are written: sorted keys, block style."""


def _construct_target(loader: yaml.SafeLoader, node: yaml.Node) -> TargetChoice:
    if not isinstance(node, yaml.MappingNode):
        raise yaml.constructor.ConstructorError(
            None, None, "!target takes a mapping of target name to value", node.start_mark)
    return TargetChoice(loader.construct_mapping(node, deep=True))


def _construct_env(loader: yaml.SafeLoader, node: yaml.Node) -> EnvString:
    return EnvString(loader.construct_scalar(node))


AssetLoader.add_constructor("!target", _construct_target)
AssetLoader.add_constructor("!env", _construct_env)
AssetDumper.add_representer(
    TargetChoice, lambda dumper, choice: dumper.represent_mapping("!target", choice.values))
AssetDumper.add_representer(
    EnvString, lambda dumper, value: dumper.represent_scalar("!env", value.template, style='"'))


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # SQL and JSON read best as literal blocks in a pull request.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


AssetDumper.add_representer(str, _represent_str)


def dump_yaml(document: Any) -> str:
    """The canonical text of an asset file."""
    return yaml.dump(document, Dumper=AssetDumper, sort_keys=True, allow_unicode=True,
                     default_flow_style=False, width=1000)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the asset tree: where, what, and how to fix it."""

    file: str
    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}\n    fix: {self.fix}"


class AssetError(Exception):
    """The asset tree cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class AssetFile:
    """One YAML file of the tree, parsed but not yet resolved for a target."""

    source: Path
    import_path: str
    document: Any

    @property
    def kind(self) -> str:
        """databases, datasets, charts or dashboards."""
        return self.import_path.split("/", 1)[0]

    @property
    def display_name(self) -> str:
        """The path a person finds the file at."""
        return str(self.source)


@dataclass
class AssetTree:
    """Every asset file under a root, by import path."""

    root: Path
    files: list[AssetFile]

    def of_kind(self, kind: str) -> list[AssetFile]:
        """The files of one kind, in import-path order."""
        return [file for file in self.files if file.kind == kind]


def _import_path(root: Path, source: Path) -> str | None:
    relative = source.relative_to(root)
    parts = relative.parts
    if parts and parts[0] in TREE_FOLDERS and len(parts) > 1 and parts[1] in ASSET_KINDS:
        parts = parts[1:]
    if parts and parts[0] in ASSET_KINDS:
        return "/".join(parts)
    return None


PACKAGED_TREE = Path(__file__).parent / "asset_tree"
"""The repository's ``datasets/`` and ``dashboards/``, reached through links, and inside the wheel."""


def _tree_folders(root: Path) -> list[Path]:
    """The root's own tree folders (``datasets/``, ``charts/``, …), links included: the packaged tree is made of
    them in a source checkout. A repository also holds node_modules, .git, …: those are not walked."""
    return sorted(path for path in root.iterdir() if path.name in TREE_FOLDERS + ASSET_KINDS and path.is_dir())


def _walk_tree(root: Path) -> tuple[list[Path], list[Problem]]:
    """Every ``.yaml`` file of the tree (symlinks only inside it), and a problem for what is not read."""
    files: list[Path] = []
    problems: list[Problem] = []
    tops = _tree_folders(root) if root.is_dir() else []
    inside = [root.resolve(), *(top.resolve() for top in tops)]
    for top in tops:
        for folder, folders, names in os.walk(top):
            here = Path(folder)
            for name in sorted(folders):
                if (here / name).is_symlink():
                    problems.append(Problem(str(here / name), "", "a folder symlink: its files are not read",
                                            "copy the folder into the tree instead of linking it"))
            for name in names:
                path = here / name
                if path.is_symlink() and not any(path.resolve().is_relative_to(base) for base in inside):
                    problems.append(Problem(str(path), "", f"a symlink to {path.resolve()}, outside {root}",
                                            "copy the file into the tree; files outside it are not read"))
                elif name.endswith(".yml") and _import_path(root, path) is not None:
                    problems.append(Problem(str(path), "", "a .yml file: Superset's layout names asset files .yaml",
                                            f"rename it to {path.with_suffix('.yaml').name}"))
                elif name.endswith(".yaml"):
                    files.append(path)
    return sorted(files), problems


def asset_sources(root: Path) -> Iterator[tuple[Path, str]]:
    """(file, import path) of every asset YAML file under ``root``, sorted; symlinks leaving it are not read."""
    for source in _walk_tree(root)[0]:
        import_path = _import_path(root, source)
        if import_path is not None:
            yield source, import_path


def _parse(source: Path) -> tuple[Any, Problem | None]:
    """A file's document, or the problem that stops it being read."""
    try:
        return yaml.load(source.read_bytes().decode("utf-8"), Loader=AssetLoader), None
    except UnicodeDecodeError as error:
        return None, Problem(str(source), f"byte {error.start}", "the file is not UTF-8 text",
                             "save it as UTF-8 (asset files are YAML text)")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return None, Problem(str(source), where, f"malformed YAML: {getattr(error, 'problem', None) or error}",
                             "fix the YAML syntax (indentation, quotes, colons) at that line; asset files "
                             f"nest at most {MAX_NESTING} levels and need no aliases")


def load_tree(root: Path) -> AssetTree:
    """Parse every asset file under ``root``; an ``AssetError`` lists every file that does not parse."""
    tree, problems = read_tree(root)
    if problems:
        raise AssetError(problems)
    return tree


def read_tree(root: Path) -> tuple[AssetTree, list[Problem]]:
    """Every asset file under ``root`` that parses, and a problem for each one that does not."""
    files: list[AssetFile] = []
    problems = _walk_tree(root)[1]
    for source, import_path in asset_sources(root):
        document, problem = _parse(source)
        if problem is not None:
            problems.append(problem)
            continue
        if not isinstance(document, dict):
            problems.append(Problem(str(source), "", "the file is not a YAML mapping",
                                    "an asset file holds one mapping of field: value"))
            continue
        files.append(AssetFile(source, import_path, document))
    if not files and not problems:
        problems.append(Problem(str(root), "", "no asset files found",
                                "point at a folder holding datasets/ and dashboards/ (or databases/, charts/, …)"))
    return AssetTree(root, files), problems


class UnresolvedVariable(KeyError):
    """An ``!env`` string names a variable that is not set (or empty) and has no default."""


def _expand(template: str, environment: Mapping[str, str], placeholder: str | None) -> str:
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        # As in the shell's ${VAR:-default}: a variable set to nothing counts as unset.
        if environment.get(name):
            return environment[name]
        if default is not None:
            return default
        if placeholder is not None:
            return placeholder
        raise UnresolvedVariable(name)

    return ENV_REFERENCE.sub(replace, template)


def resolve(value: Any, target: str, environment: Mapping[str, str] | None = None,
            placeholder: str | None = None) -> Any:
    """``value`` with every ``!target`` and ``!env`` replaced for ``target``.

    ``placeholder`` stands in for unset variables without defaults (validation
    does not need secrets); without it an unset variable raises ``UnresolvedVariable``.
    """
    environment = os.environ if environment is None else environment
    if isinstance(value, TargetChoice):
        if target not in value.values:
            raise KeyError(f"!target has no value for target {target!r}")
        return resolve(value.values[target], target, environment, placeholder)
    if isinstance(value, EnvString):
        return _expand(value.template, environment, placeholder)
    if isinstance(value, dict):
        return {key: resolve(item, target, environment, placeholder) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, target, environment, placeholder) for item in value]
    return value


def resolve_tree(tree: AssetTree, target: str, environment: Mapping[str, str] | None = None,
                 placeholder: str | None = None) -> dict[str, dict[str, Any]]:
    """Every file of the tree resolved for ``target``, by import path.

    Raises ``AssetError`` naming each file and field that cannot be resolved.
    """
    resolved: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for file in tree.files:
        try:
            resolved[file.import_path] = resolve(file.document, target, environment, placeholder)
        except UnresolvedVariable as missing:
            problems.append(Problem(file.display_name, _field_reading(file.document, missing.args[0]),
                                    f"environment variable {missing.args[0]} is not set (or empty) and has no default",
                                    f"export {missing.args[0]}=… before provisioning (secrets come only from the environment)"))
        except KeyError as error:
            problems.append(Problem(file.display_name, _field_with_target_gap(file.document, target),
                                    str(error.args[0]), f"add a '{target}:' entry to that !target mapping"))
    if problems:
        raise AssetError(problems)
    return resolved


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, TargetChoice):
        for key, item in value.values.items():
            yield from _walk(item, f"{path}[{key}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def walk_fields(document: Any) -> Iterator[tuple[str, Any]]:
    """(dotted field path, value) of every node of a parsed asset file, tags included."""
    return _walk(document)


def _field_reading(document: Any, variable: str) -> str:
    return next((path for path, value in _walk(document)
                 if isinstance(value, EnvString) and variable in value.variables()), "")


def _field_with_target_gap(document: Any, target: str) -> str:
    return next((path for path, value in _walk(document)
                 if isinstance(value, TargetChoice) and target not in value.values), "")
