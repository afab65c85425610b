/**
 * Runnable examples of the library.
 */
@NullMarked
package io.discagent.examples;

import org.jspecify.annotations.NullMarked;
