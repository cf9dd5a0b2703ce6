package io.rangefetch.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The faults one {@link RangeDispatcher} was told to inject, each with the requests it applies to
 * and how many times it may still apply. Thread-safe.
 */
final class FaultRules {
  private record Rule(Fault fault, Predicate<Exchange> when, AtomicInteger remaining) {}

  private final List<Rule> rules = new CopyOnWriteArrayList<>();

  /** Applies {@code fault} to the next {@code times} requests that {@code when} accepts. */
  void add(Fault fault, Predicate<Exchange> when, int times) {
    rules.add(new Rule(fault, when, new AtomicInteger(times)));
  }

  /**
   * The fault of the first rule, in the order they were added, that accepts {@code exchange} and
   * may still apply, using up one of its times; null when there is none.
   */
  Fault take(Exchange exchange) {
    for (Rule rule : rules) {
      if (rule.when().test(exchange) && rule.remaining().getAndDecrement() > 0) {
        return rule.fault();
      }
    }
    return null;
  }
}
