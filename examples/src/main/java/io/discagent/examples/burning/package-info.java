/**
 * A burning workflow: acquire, burn under the lock, release however it ends.
 */
@NullMarked
package io.discagent.examples.burning;

import org.jspecify.annotations.NullMarked;
