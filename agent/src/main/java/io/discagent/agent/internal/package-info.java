/**
 * The agent's implementation: state on the event loop, native calls on the native worker (see the README's threading model). Not an API.
 */
@NullMarked
package io.discagent.agent.internal;

import org.jspecify.annotations.NullMarked;
