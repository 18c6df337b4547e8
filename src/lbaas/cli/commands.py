"""Noun commands built from one description per resource.

A `Resource` says where a kind of object lives (its `Noun`), which fields its create, set and
unset commands take (`Field`: the option, what the value becomes in the body), whether it sits
under a parent (a pool's members, an L7 policy's rules) and which extra views it has (stats,
status). `add_commands` turns that into `list`, `show`, `create`, `set` (or v1's `update`),
`unset` and `delete` commands on a Typer group, with the options every client command shares:
`--url`, `--token`, `-f`, `-c`, `--wait` where the object has a status. The commands are plain
functions whose signature is made here, so Typer reads them as it reads hand-written ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Annotated, Any

import typer

from lbaas.cli import resource as r
from lbaas.cli.client import ApiClient, CliError
from lbaas.cli.common import (
    ColumnOpt,
    DetailsOpt,
    FormatOpt,
    TokenOpt,
    UrlOpt,
    WaitTimeoutOpt,
    act,
    parse_kv,
)
from lbaas.cli.output import Format, say, show_one
from lbaas.cli.resource import Noun
from lbaas.cli.wait import DEFAULT_TIMEOUT, wait_for_gone, wait_for_status

NOT_SET = object()  # a Field without a fixed value: the option's own value goes into the body
Parse = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    """One option of the create/set/unset commands and the body key its value fills."""

    key: str  # the body key: "protocol_port"
    help: str
    flag: str = ""  # "--protocol-port" unless given; "--enable/--disable" for an on/off pair
    kind: Any = str  # str, int, bool, list (a repeatable option), or an Enum of the choices
    create: str = "optional"  # "required", "optional" or "no": whether create takes it
    set: bool = True  # whether set (update) takes it
    unset: Any = NOT_SET  # the value `unset --flag` sends; NOT_SET: unset does not take it
    ref: Noun | None = None  # the value names an object of this kind: the body gets its id
    lookup: Callable[[ApiClient, str], Any] | None = None  # or the API finds what it names
    parse: Parse | None = None  # text to body value, once the option is given
    value: Any = NOT_SET  # a plain flag: when given, the body gets this value
    argument: bool = False  # create takes it as a positional argument (the parent object)
    metavar: str | None = None
    name: str = ""  # the parameter's name when two fields fill the same key

    @property
    def param(self) -> str:
        return self.name or self.key

    @property
    def option(self) -> str:
        return self.flag or "--" + self.key.replace("_", "-")


@dataclass(frozen=True)
class View:
    """A read-only view of one object (stats, status tree): GET <item><suffix>, key `key`."""

    command: str
    suffix: str
    key: str
    help: str
    tree: bool = False  # a nested status tree: printed as it is (json/yaml), a table flattened
    columns: tuple[str, ...] = ()  # the answer is a list: these are its columns


@dataclass(frozen=True)
class Resource:
    noun: Noun
    help: str
    fields: tuple[Field, ...] = ()
    parent: Noun | None = None  # a nested collection: every command takes the parent first
    filters: tuple[Field, ...] = ()  # options of `list`, as query parameters
    update: str = "set"  # v1 calls it `update`
    delete_options: tuple[Field, ...] = ()  # query parameters of delete (v2: --cascade)
    views: tuple[View, ...] = ()
    builds: tuple[str, ...] = ("create", "list", "show", "set", "unset", "delete")
    creates: Callable[[ApiClient, dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None
    extra: tuple[Field, ...] = ()  # create options the `creates` hook reads
    docs: Mapping[str, str] = field(default_factory=dict)  # a command's help, if not the usual
    shown: Callable[[dict[str, Any], Format], dict[str, Any]] | None = None  # before printing
    # `delete --wait`, once the object is gone: wait for what it was part of (the object as it
    # was, its parent's id for a nested one, the timeout)
    deleted: Callable[[ApiClient, dict[str, Any], str | None, float], None] | None = None


def enum_of(name: str, *values: str) -> type[Enum]:
    """An Enum of the choices an option has (Typer shows and checks them)."""
    return Enum(name, {v: v for v in values}, type=str)  # type: ignore[return-value]


def kv(text: Any) -> dict[str, Any]:
    return parse_kv([str(text)])


# -- parameters ---------------------------------------------------------------------------------


def _parameter(spec: Field, required: bool) -> inspect.Parameter:
    if spec.argument:
        info = typer.Argument(metavar=spec.metavar or spec.key.upper(), help=spec.help)
        return _param(spec.param, Annotated[str, info])
    if spec.kind is bool:  # a flag, or an on/off pair ("--enable/--disable") that may be absent
        pair = "/" in spec.option
        info = typer.Option(spec.option, help=spec.help)
        return _param(spec.param, Annotated[bool | None if pair else bool, info],
                      None if pair else False)
    info = typer.Option(spec.option, help=spec.help, metavar=spec.metavar)
    kind = list[str] if spec.kind is list else spec.kind
    if required:
        return _param(spec.param, Annotated[kind, info])
    return _param(spec.param, Annotated[kind | None, info], None)


def _on_off(spec: Field) -> Field:
    """A create flag (`--invert`) as set has it: `--invert/--no-invert`."""
    if spec.kind is bool and spec.value is NOT_SET and "/" not in spec.option:
        return replace(spec, flag=f"{spec.option}/--no-{spec.option[2:]}")
    return spec


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty
           ) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation,
                             default=default)


def _common(*names: str) -> list[inspect.Parameter]:
    shared: dict[str, tuple[Any, Any]] = {
        "wait": (Annotated[bool, typer.Option(
            "--wait", help="Wait until the agent has made it ACTIVE (or ERROR)")], False),
        "wait_gone": (Annotated[bool, typer.Option(
            "--wait", help="Wait until it is gone (the agent has removed it)")], False),
        "wait_timeout": (WaitTimeoutOpt, DEFAULT_TIMEOUT),
        "url": (UrlOpt, None), "token": (TokenOpt, None), "fmt": (FormatOpt, Format.table),
        "column": (ColumnOpt, None), "details": (DetailsOpt, False),
    }
    return [_param(n, *shared[n]) for n in names]


def _command(app: typer.Typer, name: str, doc: str, params: Sequence[inspect.Parameter],
             body: Callable[..., None]) -> None:
    """Put `body(**options)` on `app` as command `name`, with `params` as its signature."""
    def command(**options: Any) -> None:
        body(**options)

    command.__doc__ = doc
    command.__name__ = name.replace("-", "_")
    command.__signature__ = inspect.Signature(list(params))  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    app.command(name)(command)


# -- bodies -------------------------------------------------------------------------------------


def _value(api: ApiClient, spec: Field, given: Any) -> Any:
    if spec.value is not NOT_SET:
        return spec.value
    if isinstance(given, Enum):
        given = given.value
    if spec.ref is not None:
        ref = spec.ref
        given = ([r.find(api, ref, item) for item in given] if isinstance(given, list)
                 else r.find(api, ref, given))
    if spec.lookup is not None:
        given = spec.lookup(api, given)
    return spec.parse(given) if spec.parse else given


def body_of(api: ApiClient, specs: Sequence[Field], options: dict[str, Any]) -> dict[str, Any]:
    """The request body from the options given; two options for one key are an error."""
    body: dict[str, Any] = {}
    chosen: dict[str, str] = {}
    for spec in specs:
        given = options.get(spec.param)
        if given is None or (given is False and spec.kind is bool and "/" not in spec.option):
            continue
        if spec.key in chosen:
            raise CliError(f"Give {chosen[spec.key]} or {spec.option}, not both")
        chosen[spec.key] = spec.option
        body[spec.key] = _value(api, spec, given)
    return body


# -- the commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Builder:
    res: Resource
    app: typer.Typer

    @property
    def noun(self) -> Noun:
        return self.res.noun

    def parent_params(self) -> list[inspect.Parameter]:
        parent = self.res.parent
        if parent is None:
            return []
        info = typer.Argument(metavar=parent.label.upper().replace(" ", "_"),
                              help=f"The {parent.label} (name or id)")
        return [_param("parent", Annotated[str, info])]

    def target_params(self, many: bool = False) -> list[inspect.Parameter]:
        label = self.noun.label
        keys = [key.replace("_", " ") for key in self.noun.lookup]
        what = " or ".join([", ".join(keys[:-1]), keys[-1]] if len(keys) > 1 else keys)
        metavar = label.upper().replace(" ", "_")
        if not keys:  # named by the key itself (a quota by its project id)
            what, metavar = self.noun.id_key.replace("_", " "), self.noun.id_key.upper()
        if many:
            info = typer.Argument(metavar=f"{metavar}...", help=f"The {label}s (each {what})")
            return [_param("targets", Annotated[list[str], info])]
        info = typer.Argument(metavar=metavar, help=f"The {label} ({what})")
        return [_param("target", Annotated[str, info])]

    def located(self, api: ApiClient, options: dict[str, Any]) -> Noun:
        """The noun with its parent's id in the path, for a nested collection."""
        if self.res.parent is None:
            return self.noun
        options["parent_id"] = r.find(api, self.res.parent, options["parent"])
        return self.noun.under(options["parent_id"])

    def settle(self, api: ApiClient, noun: Noun, obj: dict[str, Any],
               options: dict[str, Any]) -> dict[str, Any]:
        if options.get("wait"):
            return wait_for_status(api, noun, obj, options["wait_timeout"])
        return obj

    def waits(self) -> list[str]:
        return ["wait", "wait_timeout"] if self.noun.status_key else []

    def build(self) -> None:
        builds = self.res.builds
        steps = (("create", self.create), ("list", self.list_), ("show", self.show),
                 ("set", self.set_), ("unset", self.unset), ("delete", self.delete))
        for name, step in steps:
            if name in builds and (name != "unset" or any(
                    f.unset is not NOT_SET for f in self.res.fields)):
                step()
        for view in self.res.views:
            self.view(view)

    def doc(self, command: str, usual: str) -> str:
        return self.res.docs.get(command, usual)

    def shown(self, obj: dict[str, Any], fmt: Format) -> dict[str, Any]:
        return self.res.shown(obj, fmt) if self.res.shown else obj

    def list_(self) -> None:
        filters = [_parameter(f, False) for f in self.res.filters]

        def body(**o: Any) -> None:
            def action(api: ApiClient) -> list[dict[str, Any]]:
                noun = self.located(api, o)
                return r.list_objects(api, noun, body_of(api, self.res.filters, o) or None)

            found = [self.shown(obj, o["fmt"]) for obj in act(o["url"], o["token"], action)]
            r.show_list(found, self.noun.columns, o["fmt"], o["column"], o["details"])

        params = [*self.parent_params(), *filters,
                  *_common("url", "token", "fmt", "column", "details")]
        doc = self.doc("list", f"List {self.noun.plural.replace('_', ' ')}.")
        _command(self.app, "list", doc, params, body)

    def show(self) -> None:
        def body(**o: Any) -> None:
            def action(api: ApiClient) -> dict[str, Any]:
                noun = self.located(api, o)
                return self.settle(api, noun, r.fetch_named(api, noun, o["target"]), o)

            found = act(o["url"], o["token"], action)
            show_one(self.shown(found, o["fmt"]), o["fmt"], o["column"])

        params = [*self.parent_params(), *self.target_params(),
                  *_common(*self.waits(), "url", "token", "fmt", "column")]
        doc = f"Show a {self.noun.label}" + ("; with --wait, once the agent has deployed it."
                                             if self.noun.status_key else ".")
        _command(self.app, "show", self.doc("show", doc), params, body)

    def view(self, view: View) -> None:
        def body(**o: Any) -> None:
            def action(api: ApiClient) -> Any:
                noun = self.located(api, o)
                path = noun.item(r.find(api, noun, o["target"])) + view.suffix
                return api.get_key(path, view.key)

            found = act(o["url"], o["token"], action)
            if view.columns:
                r.show_list(found, view.columns, o["fmt"], o["column"])
                return
            if view.tree and o["fmt"] in (Format.table, Format.value):
                found = dict(flatten_tree(found))
            show_one(found, o["fmt"], o["column"])

        params = [*self.parent_params(), *self.target_params(),
                  *_common("url", "token", "fmt", "column")]
        _command(self.app, view.command, view.help, params, body)

    def create(self) -> None:
        creating = [f for f in self.res.fields if f.create != "no"]
        params = [_parameter(f, f.create == "required") for f in creating if f.argument]
        params += [_parameter(f, f.create == "required") for f in creating if not f.argument]
        params += [_parameter(f, False) for f in self.res.extra]
        params.sort(key=lambda p: p.default is not inspect.Parameter.empty)

        def body(**o: Any) -> None:
            def action(api: ApiClient) -> dict[str, Any]:
                noun = self.located(api, o)
                made = body_of(api, creating, o)
                if self.res.creates is not None:
                    made = self.res.creates(api, made, o)
                return self.settle(api, noun, r.create(api, noun, made), o)

            created = act(o["url"], o["token"], action)
            say(f"Created a new {self.noun.singular}:", o["fmt"])
            show_one(self.shown(created, o["fmt"]), o["fmt"], o["column"])

        params = [*self.parent_params(), *params,
                  *_common(*self.waits(), "url", "token", "fmt", "column")]
        _command(self.app, "create", self.doc("create", f"Create a {self.noun.label}."), params,
                 body)

    def set_(self) -> None:
        settable = [_on_off(f) for f in self.res.fields if f.set]
        self.change(self.res.update, f"Change a {self.noun.label}'s settings.", settable,
                    [_parameter(f, False) for f in settable])

    def unset(self) -> None:
        clearable = [Field(f.key, f"Clear the {f.key.replace('_', ' ')}", f.option, bool,
                           value=f.unset, name=f.param)
                     for f in self.res.fields if f.unset is not NOT_SET]
        params = [_parameter(f, False) for f in clearable]
        self.change("unset", f"Clear a {self.noun.label}'s settings (back to the defaults).",
                    clearable, params)

    def change(self, name: str, doc: str, specs: Sequence[Field],
               options: list[inspect.Parameter]) -> None:
        def body(**o: Any) -> None:
            def action(api: ApiClient) -> dict[str, Any]:
                noun = self.located(api, o)
                changes = body_of(api, specs, o)
                updated = r.update(api, noun, r.find(api, noun, o["target"]), changes)
                return self.settle(api, noun, updated, o)

            updated = act(o["url"], o["token"], action)
            say(f"Updated {self.noun.singular}: {o['target']}", o["fmt"])
            show_one(self.shown(updated, o["fmt"]), o["fmt"], o["column"])

        params = [*self.parent_params(), *self.target_params(), *options,
                  *_common(*self.waits(), "url", "token", "fmt", "column")]
        _command(self.app, name, self.doc(name, doc), params, body)

    def delete(self) -> None:
        options = [_parameter(f, False) for f in self.res.delete_options]
        waits = ["wait_gone", "wait_timeout"] if self.noun.status_key else []

        def body(**o: Any) -> None:
            def action(api: ApiClient) -> None:
                noun = self.located(api, o)
                params = body_of(api, self.res.delete_options, o) or None
                timeout = o.get("wait_timeout", DEFAULT_TIMEOUT)
                was: dict[str, dict[str, Any]] = {}

                def before(object_id: str) -> None:
                    was[object_id] = r.fetch(api, noun, object_id)

                def after(object_id: str) -> None:
                    wait_for_gone(api, noun, object_id, timeout)
                    if self.res.deleted is not None:
                        self.res.deleted(api, was[object_id], o.get("parent_id"), timeout)

                waiting = bool(o.get("wait_gone"))
                r.delete_each(api, noun, o["targets"], params, after if waiting else None,
                              before if waiting else None)

            act(o["url"], o["token"], action)

        params = [*self.parent_params(), *self.target_params(many=True), *options,
                  *_common(*waits, "url", "token")]
        doc = self.doc("delete", f"Delete {self.noun.plural.replace('_', ' ')}.")
        _command(self.app, "delete", doc, params, body)


def flatten_tree(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """A nested status tree as rows `listeners[0].pools[0].operating_status`."""
    if isinstance(node, dict):
        rows: list[tuple[str, Any]] = []
        for key, value in node.items():
            rows += flatten_tree(value, f"{prefix}.{key}" if prefix else key)
        return rows
    if isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
        rows = []
        for index, value in enumerate(node):
            rows += flatten_tree(value, f"{prefix}[{index}]")
        return rows
    return [(prefix, node)]


def add_commands(app: typer.Typer, res: Resource) -> typer.Typer:
    """The generic commands of `res` on `app` (which may already hold commands of its own)."""
    _Builder(res, app).build()
    return app


def group(res: Resource) -> typer.Typer:
    """A new command group for `res`."""
    return add_commands(typer.Typer(help=res.help, no_args_is_help=True), res)
