/** Implementation of rangefetch. Not API: anything here may change without notice. */
@NullMarked
package io.rangefetch.internal;

import org.jspecify.annotations.NullMarked;
