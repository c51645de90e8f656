/*
 * orderkit-lite: the course site's three fixes to JupyterLite 0.8, as a JupyterLab
 * federated extension written by hand, so that the site needs no JavaScript build.
 *
 * A federated extension is a module-federation container: JupyterLab's bootstrap loads this
 * script, calls `init(shareScope)` with the application's shared modules, then
 * `get('./extension')` for a factory of the module whose default export is the plugins.
 * The plugins take JupyterLab's own tokens and functions from that share scope, so they are
 * the very objects the application uses (each shared once, as a singleton).
 *
 * 1. Run All as in JupyterLab. JupyterLab sends every cell of a Run All at once; a cell
 *    tagged `raises-exception` is sent with `stop_on_error: false`. JupyterLite's kernel
 *    client cancels every queued message when any execution fails and ignores that flag
 *    (jupyterlite/jupyterlite#1671, still so in 0.8.6), so Run All stopped at every
 *    deliberate failure. The notebook's cell executor (JupyterLab's public seam for running
 *    cells, the token INotebookCellExecutor) is replaced by JupyterLab's own `runCell`, called
 *    one cell at a time per notebook: the next cell goes to the kernel when the one before has
 *    answered, so JupyterLite has nothing queued to cancel. The queue itself does what
 *    ipykernel does with `stop_on_error`: after an error in a cell that is not tagged
 *    `raises-exception`, the cells still waiting are not run (nor after a kernel restart).
 *
 * 2. Downloads under the file's own name. JupyterLite's File > Download names the file after
 *    its path, which the browser turns into `notebooks_10-exercise-unit-tests.ipynb`. The
 *    download plugin is replaced by one that names it after the file.
 *
 * 3. One kernel on return, not one per tab. JupyterLite restores the tabs a student left
 *    open, and every restored notebook starts its own Pyodide kernel at once (~190 MB and
 *    ~15 s each, all loading together). A notebook restored with the workspace, other than
 *    the tab in front, waits with no kernel until the student brings it to the front (or
 *    runs a cell in it); JupyterLab's public kernel preference (`shouldStart`) says so.
 *
 * package.json lists the two stock plugins 1 and 2 replace (`disabledExtensions`).
 */
(function () {
  'use strict';

  const NAME = 'orderkit-lite';
  const RAISES_EXCEPTION = 'raises-exception';
  let shareScope = null;

  /** The application's copy of a shared package (exactly one must be shared). */
  async function shared(name) {
    const versions = shareScope ? shareScope[name] : undefined;
    const entries = versions ? Object.values(versions) : [];
    const loaded = entries.filter((entry) => entry.loaded);
    const candidates = loaded.length ? loaded : entries;
    if (candidates.length !== 1) {
      throw new Error(`${NAME}: expected one shared ${name}, found ${candidates.length}`);
    }
    const factory = await candidates[0].get();
    return factory();
  }

  function raisesException(cell) {
    const tags = cell.model.getMetadata('tags');
    return Array.isArray(tags) && tags.includes(RAISES_EXCEPTION);
  }

  /** Cells of one notebook session, sent to its kernel one at a time. */
  const queues = new WeakMap();

  function abortWaiting(queue) {
    for (const entry of queue.waiting) {
      entry.aborted = true;
    }
  }

  function queueFor(sessionContext) {
    let queue = queues.get(sessionContext);
    if (!queue) {
      queue = { tail: Promise.resolve(), waiting: new Set() };
      const dropped = queue;
      sessionContext.statusChanged.connect((_, status) => {
        if (status === 'restarting' || status === 'autorestarting' || status === 'dead') {
          abortWaiting(dropped);
        }
      });
      queues.set(sessionContext, queue);
    }
    return queue;
  }

  /** JupyterLab's `runCell`, in turn: code cells wait for the one sent before them. */
  function inTurn(runCell) {
    return function runCellInTurn(options) {
      const { cell, sessionContext } = options;
      if (cell.model.type !== 'code' || !sessionContext) {
        return runCell(options);
      }
      wake(sessionContext, false); // a cell run in a waiting notebook starts its kernel
      const queue = queueFor(sessionContext);
      const entry = { aborted: false };
      queue.waiting.add(entry);
      // A queued cell shows [*], as JupyterLab shows a cell it has sent.
      cell.model.executionState = 'running';
      const turn = queue.tail.then(async () => {
        queue.waiting.delete(entry);
        if (entry.aborted || cell.isDisposed) {
          if (!cell.isDisposed) {
            cell.model.executionState = 'idle';
          }
          return false;
        }
        try {
          return await runCell(options);
        } catch (error) {
          if (!raisesException(cell)) {
            abortWaiting(queue);
          }
          throw error;
        }
      });
      queue.tail = turn.catch(() => undefined);
      return turn;
    };
  }

  function cellExecutorPlugin(notebook) {
    return {
      id: `${NAME}:cell-executor`,
      description:
        'Runs cells one at a time, so that Run All carries on past a cell tagged ' +
        'raises-exception and stops at any other error, as in JupyterLab.',
      autoStart: true,
      provides: notebook.INotebookCellExecutor,
      activate: () => Object.freeze({ runCell: inTurn(notebook.runCell) }),
    };
  }

  /** What the browser saves: a notebook or JSON as text, text as text, else its bytes. */
  function blobOf(model) {
    if (model.type === 'notebook' || model.format === 'json') {
      return new Blob([JSON.stringify(model.content, null, 2)], {
        type: model.mimetype || 'application/json',
      });
    }
    if (model.format === 'text') {
      return new Blob([model.content], { type: model.mimetype || 'text/plain' });
    }
    if (model.format === 'base64') {
      const bytes = Uint8Array.from(atob(model.content), (char) => char.charCodeAt(0));
      return new Blob([bytes], { type: model.mimetype || 'application/octet-stream' });
    }
    throw new Error(`${model.path} cannot be downloaded (format ${model.format})`);
  }

  function downloadPlugin(docmanager, apputils, filebrowser) {
    return {
      id: `${NAME}:download`,
      description: "File > Download and the file browser's Download, under the file's name.",
      autoStart: true,
      requires: [docmanager.IDocumentManager],
      optional: [apputils.ICommandPalette, filebrowser.IFileBrowserFactory],
      activate: (app, docManager, palette, browserFactory) => {
        const { commands, serviceManager, shell } = app;

        const download = async (path) => {
          const model = await serviceManager.contents.get(path, { content: true });
          const url = URL.createObjectURL(blobOf(model));
          const link = document.createElement('a');
          link.href = url;
          link.download = model.name;
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(() => URL.revokeObjectURL(url), 60_000);
        };
        const cannot = (error) =>
          apputils.showDialog({
            title: 'Cannot Download',
            body: String(error && error.message ? error.message : error),
            buttons: [apputils.Dialog.okButton()],
          });
        const contextOfCurrent = () =>
          shell.currentWidget ? docManager.contextForWidget(shell.currentWidget) : undefined;

        commands.addCommand('docmanager:download', {
          label: 'Download',
          caption: 'Download the file to your computer',
          isEnabled: () => !!contextOfCurrent(),
          execute: async () => {
            const context = contextOfCurrent();
            if (!context) {
              return;
            }
            await context.save();
            try {
              await download(context.path);
            } catch (error) {
              await cannot(error);
            }
          },
        });
        if (palette) {
          palette.addItem({ command: 'docmanager:download', category: 'File Operations' });
        }
        if (browserFactory) {
          commands.addCommand('filebrowser:download', {
            label: 'Download',
            icon: (args) =>
              args.isMenu ? undefined : apputils.downloadIcon.bindprops({ stylesheet: 'menuItem' }),
            execute: async () => {
              const browser = browserFactory.tracker.currentWidget;
              if (!browser) {
                return;
              }
              for (const item of Array.from(browser.selectedItems())) {
                if (item.type !== 'directory') {
                  await download(item.path).catch(cannot);
                }
              }
            },
          });
        }
      },
    };
  }

  /** Session contexts of restored notebooks whose kernel waits for the student. */
  const waiting = new Set();

  /** Let a waiting notebook start its kernel; start it unless asked not to. */
  function wake(sessionContext, startNow) {
    if (!waiting.delete(sessionContext)) {
      return;
    }
    sessionContext.kernelPreference = { ...sessionContext.kernelPreference, shouldStart: true };
    if (startNow) {
      void sessionContext.ready.then(() =>
        sessionContext.hasNoKernel ? sessionContext.startKernel() : false,
      );
    }
  }

  function deferRestoredKernelsPlugin(notebook) {
    return {
      id: `${NAME}:defer-restored-kernels`,
      description:
        'Notebooks restored with the workspace start their kernel when brought to the front.',
      autoStart: true,
      requires: [notebook.INotebookTracker],
      activate: (app, tracker) => {
        let restoring = true;
        tracker.widgetAdded.connect((_, panel) => {
          if (restoring) {
            const context = panel.sessionContext;
            context.kernelPreference = { ...context.kernelPreference, shouldStart: false };
            waiting.add(context);
          }
        });
        tracker.currentChanged.connect((_, panel) => {
          if (!restoring && panel) {
            wake(panel.sessionContext, true);
          }
        });
        void app.restored.then(() => {
          restoring = false;
          if (tracker.currentWidget) {
            wake(tracker.currentWidget.sessionContext, true);
          }
        });
      },
    };
  }

  async function plugins() {
    const [notebook, docmanager, apputils, filebrowser, ui] = await Promise.all([
      shared('@jupyterlab/notebook'),
      shared('@jupyterlab/docmanager'),
      shared('@jupyterlab/apputils'),
      shared('@jupyterlab/filebrowser'),
      shared('@jupyterlab/ui-components'),
    ]);
    return [
      cellExecutorPlugin(notebook),
      deferRestoredKernelsPlugin(notebook),
      downloadPlugin(docmanager, { ...apputils, downloadIcon: ui.downloadIcon }, filebrowser),
    ];
  }

  const root = (window._JUPYTERLAB = window._JUPYTERLAB || {});
  root[NAME] = {
    init: (scope) => {
      shareScope = scope;
    },
    get: async (module) => {
      if (module !== './extension') {
        throw new Error(`${NAME} has no module ${module}`);
      }
      const exported = await plugins();
      return () => ({ __esModule: true, default: exported });
    },
  };
})();
