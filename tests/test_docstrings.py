"""The API's docstrings agree with the signatures they describe (numpydoc, as librosa's)."""
import ast
import importlib
import inspect
import pkgutil
import re

import complex_auto

SECTION = re.compile(r"\n\n[A-Z][a-z]+\n-{3,}\n")
# A parameter line: names at the margin, separated by commas, then " : type" or nothing.
NAMES = re.compile(r"^(\*{0,2}\w+(?:\s*,\s*\*{0,2}\w+)*)\s*(?::|$)")


def documented_parameters(doc):
    """Names of a numpydoc ``Parameters`` section in their order, or None when it has none."""
    if "\nParameters\n----------\n" not in "\n" + doc:
        return None
    section = SECTION.split(doc.split("Parameters\n----------\n", 1)[1])[0]
    names = []
    for line in section.splitlines():
        match = NAMES.match(line)
        if match:
            names += [n.strip().lstrip("*") for n in match.group(1).split(",")]
    return names


def gives_a_value(function):
    """Whether ``function`` returns something other than None, or yields, by its own code."""
    try:
        tree = ast.parse(inspect.getsource(function).lstrip()).body[0]
    except (OSError, TypeError, IndexError):
        return False
    todo, found = list(tree.body), False
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue                              # a nested function's returns are its own
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            found = True
        if isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            found = True
        todo.extend(ast.iter_child_nodes(node))
    return found


def public_functions():
    # walk_packages, not iter_modules: the modules of complex_auto.invariance count too
    for info in pkgutil.walk_packages(complex_auto.__path__, prefix="complex_auto."):
        if info.name.endswith(".__main__"):         # runs the command when imported
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (not name.startswith("_") and inspect.isfunction(obj)
                    and obj.__module__ == module.__name__):
                yield f"{module.__name__}.{name}", obj


def test_the_parser_reads_numpydoc_parameter_lines():
    doc = ("Summary.\n\nParameters\n----------\nx, y : int\n    Two.\n*args\n"
           "flag : bool\n    Indented text : not a name.\n\nReturns\n-------\nz : int\n")
    assert documented_parameters(doc) == ["x", "y", "args", "flag"]
    assert documented_parameters("Summary only.") is None


def test_every_module_of_the_package_is_read():
    modules = {name.rsplit(".", 1)[0] for name, _ in public_functions()}
    assert {"complex_auto.families", "complex_auto.invariance.measures",
            "complex_auto.invariance.command"} <= modules


def test_the_package_docstring_names_every_module():
    # the map a reader opens first: a module missing from it is one they will not find
    modules = {info.name for info in pkgutil.iter_modules(complex_auto.__path__)}
    assert {"families", "nf14", "display"} <= modules
    assert sorted(m for m in modules if f"``{m}``" not in complex_auto.__doc__) == []


def test_a_parameters_section_names_every_parameter_and_no_other():
    # A function may go without the section (a one-line helper says it all in its summary);
    # one that has it documents every argument, so that a reader can trust what it omits.
    wrong = []
    for qualname, function in public_functions():
        names = documented_parameters(inspect.getdoc(function) or "")
        if names is None:
            continue
        params = [p for p in inspect.signature(function).parameters if p != "self"]
        if names != params:
            wrong.append(f"{qualname}: undocumented {sorted(set(params) - set(names))}, "
                         f"not parameters {sorted(set(names) - set(params))}"
                         + (", out of order" if sorted(names) == sorted(params) else ""))
    assert not wrong, "\n".join(wrong)


def test_the_return_check_reads_the_functions_own_code():
    def bare(x):
        return

    def gives(x):
        def inner():
            return 1
        return inner

    def only_inner(x):
        def inner():
            return 1
        inner()

    def generator(x):
        yield x

    assert [gives_a_value(f) for f in (bare, gives, only_inner, generator)] == [
        False, True, False, True]


def test_a_documented_function_says_what_it_returns():
    # numpydoc's RT01: a function whose arguments are documented and that returns (or yields)
    # a value documents that too, shape and meaning, rather than leave a reader its code
    missing = [qualname for qualname, function in public_functions()
               if documented_parameters(inspect.getdoc(function) or "") is not None
               and gives_a_value(function)
               and not re.search(r"\n(Returns|Yields)\n-{5,}\n", inspect.getdoc(function))]
    assert not missing, "no Returns section: " + ", ".join(missing)
