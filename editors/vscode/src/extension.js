// Starts `earlyhelp lsp` for .policy files. The server does the work; this only connects it.
"use strict";
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("earlyhelp");
  const command = config.get("server.path") || "earlyhelp";
  const args = ["lsp", ...(config.get("server.extraArgs") || [])];
  const serverOptions = { run: { command, args }, debug: { command, args } };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "policy" }],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{policy,schema.json}"),
    },
  };
  client = new LanguageClient("earlyhelp", "earlyhelp policy language server", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.commands.registerCommand("earlyhelp.restartServer", () => client.restart())
  );
  return client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `earlyhelp: cannot start "${command} lsp" (${err.message}). Set earlyhelp.server.path to the earlyhelp binary.`
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
