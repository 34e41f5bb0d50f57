# Sourced by ./jmerge and ./test: sets JAVA_HOME to a JDK 25 or newer, or explains what is missing.
# A JDK's version comes from its `release` file where it has one: `java -version` starts a JVM (~0.1 s of CPU), and
# the launcher pays for every check on every run.
jdk_ok() {
  [ -x "$1/bin/java" ] || return 1
  if [ -f "$1/release" ]; then
    grep -qE '^JAVA_VERSION="(2[5-9]|[3-9][0-9])' "$1/release"
  else
    "$1/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'
  fi
}
if [ -n "${JAVA_HOME:-}" ] && jdk_ok "$JAVA_HOME"; then
  :
elif command -v java >/dev/null 2>&1 && jdk_ok "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"; then
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
else
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk* /usr/lib/jvm/*25*; do
    if jdk_ok "$candidate"; then JAVA_HOME=$candidate; break; fi
  done
fi
if [ -z "${JAVA_HOME:-}" ] || ! jdk_ok "$JAVA_HOME"; then
  echo "jmerge needs JDK 25 or newer: install one (e.g. Temurin 25) and set JAVA_HOME" >&2
  exit 2
fi
export JAVA_HOME
