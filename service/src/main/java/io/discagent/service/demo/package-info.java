/**
 * Demo traffic for {@code serve --demo}: simulated clients, an outside burner, a drive unplugged and back.
 */
@NullMarked
package io.discagent.service.demo;

import org.jspecify.annotations.NullMarked;
