#!/usr/bin/env bash
# Installs the Python tools the tests use into the project-local venv
# .venv-tools/ (gitignored): kubernetes-validate, which checks the manifests
# `ringside k8s load` writes against the Kubernetes schemas offline
# (tests/k8s_manifest.rs). Does nothing when the pinned version is present.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBERNETES_VALIDATE=1.37.0
VENV=.venv-tools

installed=
if [[ -x $VENV/bin/kubernetes-validate ]]; then
    installed=$("$VENV/bin/python" -m pip show kubernetes-validate 2>/dev/null | sed -n 's/^Version: //p')
fi
if [[ $installed == "$KUBERNETES_VALIDATE" ]]; then
    echo "tools: kubernetes-validate $KUBERNETES_VALIDATE present"
    exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE"
echo "tools: installed kubernetes-validate $KUBERNETES_VALIDATE into $VENV"
