/**
 * The service's log output: java.util.logging (where {@code System.Logger}, Vert.x, Netty and Reactor all log when no
 * SLF4J binding is present) with a one-line human format or JSON lines, a level chosen by name, and the HTTP access
 * log.
 */
@NullMarked
package io.discagent.service.logging;

import org.jspecify.annotations.NullMarked;
