/**
 * The {@code discagent} command line.
 */
@NullMarked
package io.discagent.service.cli;

import org.jspecify.annotations.NullMarked;
