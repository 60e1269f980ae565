"""The columns a recorded statement filters each table on, read with PostgreSQL's own parser.

pg_stat_statements keeps normalised text (`WHERE tenant_id = $1 AND created > $2`); pglast
(libpg_query, the server's grammar) turns it into a tree, so aliases, joins, sub-queries, IN,
= ANY and BETWEEN are understood. Only conditions joined by AND narrow the rows an index can
find: anything under OR or NOT is left out, as is a column compared with another column.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pglast
from pglast import ast, visitors
from pglast.enums import A_Expr_Kind, BoolExprType

_EQUALITY = {"="}
_RANGE = {"<", ">", "<=", ">="}


@dataclass(frozen=True)
class Filter:
    """One statement's AND-ed filters on one table: the equality columns first, in the order
    written, then the range columns — the order of a multi-column B-tree index that serves it."""
    schema: str | None
    table: str
    equality: tuple[str, ...]
    range: tuple[str, ...]

    @property
    def index_columns(self) -> tuple[str, ...]:
        # A B-tree index serves equalities on its leading columns and one range after them.
        return self.equality + self.range[:1]


@functools.lru_cache(maxsize=2048)  # a recorded statement's text never changes
def filters(query: str) -> tuple[Filter, ...]:
    """Every table's filters in the statement; () when it does not parse (a text that
    pg_stat_statements truncated at track_activity_query_size, say)."""
    try:
        tree = pglast.parse_sql(query)
    except pglast.parser.ParseError:
        return ()
    collector = _Collector()
    collector(tree)
    return tuple(collector.found)


class _Collector(visitors.Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[Filter] = []

    # pglast calls visit_<NodeClass>.
    def visit_SelectStmt(self, ancestors, node):  # noqa: N802
        self._statement(_relations(node.fromClause or ()), node.whereClause)

    def visit_UpdateStmt(self, ancestors, node):  # noqa: N802
        self._statement(_relations((node.relation, *(node.fromClause or ()))), node.whereClause)

    def visit_DeleteStmt(self, ancestors, node):  # noqa: N802
        self._statement(_relations((node.relation, *(node.usingClause or ()))), node.whereClause)

    def _statement(self, relations: dict, where) -> None:
        if where is None or not relations:
            return
        columns: dict[tuple, dict[str, list[str]]] = {}
        for condition in _conjuncts(where):
            found = _comparison(condition)
            if found is None:
                continue
            reference, kind = found
            relation = _resolve(reference, relations)
            if relation is None:
                continue
            listed = columns.setdefault(relation, {"equality": [], "range": []})
            column = reference[-1]
            if column not in listed["equality"] and column not in listed["range"]:
                listed[kind].append(column)
        for (schema, table), listed in columns.items():
            self.found.append(Filter(schema, table, tuple(listed["equality"]),
                                     tuple(listed["range"])))


def _relations(items) -> dict[str, tuple]:
    """Name or alias → (schema, table) of every plain table in a FROM list (through joins)."""
    relations: dict[str, tuple] = {}
    for item in items:
        if isinstance(item, ast.JoinExpr):
            relations.update(_relations((item.larg, item.rarg)))
        elif isinstance(item, ast.RangeVar):
            relations[item.alias.aliasname if item.alias else item.relname] = (
                item.schemaname, item.relname)
    return relations


def _conjuncts(expression):
    if isinstance(expression, ast.BoolExpr):
        if expression.boolop == BoolExprType.AND_EXPR:
            for argument in expression.args:
                yield from _conjuncts(argument)
        return  # OR and NOT: no single index range
    yield expression


def _comparison(expression) -> tuple[tuple[str, ...], str] | None:
    """(column reference, "equality" | "range") for `column <op> value`, else None."""
    if not isinstance(expression, ast.A_Expr):
        return None
    operator = expression.name[-1].sval if expression.name else ""
    left, right = expression.lexpr, expression.rexpr
    if expression.kind == A_Expr_Kind.AEXPR_OP and operator in _EQUALITY | _RANGE:
        if not isinstance(left, ast.ColumnRef) and isinstance(right, ast.ColumnRef):
            # `$1 < created` is `created > $1`; equality reads the same either way.
            left, right = right, left
            operator = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(operator, operator)
        kind = "equality" if operator in _EQUALITY else "range"
    elif expression.kind in (A_Expr_Kind.AEXPR_IN, A_Expr_Kind.AEXPR_OP_ANY) \
            and operator == "=":
        kind = "equality"
    elif expression.kind == A_Expr_Kind.AEXPR_BETWEEN:
        kind = "range"
    else:
        return None
    if not isinstance(left, ast.ColumnRef) or not _is_value(right):
        return None
    names = tuple(getattr(field, "sval", None) for field in left.fields)
    return (names, kind) if None not in names else None  # (`t.*` has no name)


def _is_value(node) -> bool:
    """A parameter, a constant, a cast of one, or a list of them (IN, BETWEEN)."""
    if isinstance(node, tuple | list):
        return all(_is_value(item) for item in node)
    if isinstance(node, ast.TypeCast):
        return _is_value(node.arg)
    return isinstance(node, ast.ParamRef | ast.A_Const)


def _resolve(reference: tuple[str, ...], relations: dict) -> tuple | None:
    if len(reference) == 1:  # unqualified: only certain with a single table in FROM
        return next(iter(relations.values())) if len(relations) == 1 else None
    qualifier = reference[-2]
    if qualifier in relations:
        return relations[qualifier]
    matching = [relation for relation in relations.values() if relation[1] == qualifier]
    return matching[0] if len(matching) == 1 else None
