#!/bin/sh
# discagent: the command the Debian package puts on the PATH. Runs the packaged jar with java from JAVA_HOME, else
# the system's (default-jre-headless); DISCAGENT_JAVA_OPTS adds JVM options (e.g. -Xmx64m).
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# shellcheck disable=SC2086 # DISCAGENT_JAVA_OPTS is a list of options
exec "$java" ${DISCAGENT_JAVA_OPTS:-} -jar /usr/share/discagent/discagent.jar "$@"
