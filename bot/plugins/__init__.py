"""Plugins: installed packages that hear the workflow's events, add checks to a phase's review,
and add project templates (issue 14).

A plugin is a module (or object) with `@hookimpl` functions named after the hooks in
`bot.plugins.hookspecs`, registered in its package's metadata under the entry-point group
`ai_orchestrator.plugins`:

    [project.entry-points."ai_orchestrator.plugins"]
    lint = "my_package.lint_plugin"

and enabled with `PLUGINS=lint`. Modules: `hookspecs` (the hooks), `events` and `findings` (the
payloads), `host` (discovery and loading), `calls` (one call, with its time limit), `emit` and
`job` (an event queued, then delivered once per plugin), `checks` (review checks), `templates`,
and `notify` (the built-in plugin).
"""

from bot.plugins.hookspecs import hookimpl

__all__ = ["hookimpl"]
