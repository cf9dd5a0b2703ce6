package io.rangefetch.internal;

import io.rangefetch.ByteRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A set of byte offsets kept as sorted, merged, disjoint ranges. Not thread-safe. */
final class RangeSet {
  // first -> last, disjoint and not adjacent.
  private final TreeMap<Long, Long> ranges = new TreeMap<>();

  static RangeSet of(List<ByteRange> list) {
    RangeSet set = new RangeSet();
    list.forEach(set::add);
    return set;
  }

  void add(ByteRange range) {
    long first = range.first();
    long last = range.last();
    Map.Entry<Long, Long> before = ranges.floorEntry(first);
    if (before != null && before.getValue() >= first - 1) {
      first = before.getKey();
      last = Math.max(last, before.getValue());
    }
    Map.Entry<Long, Long> next;
    while ((next = ranges.ceilingEntry(first)) != null && next.getKey() <= last + 1) {
      last = Math.max(last, next.getValue());
      ranges.remove(next.getKey());
    }
    ranges.put(first, last);
  }

  void remove(ByteRange range) {
    List<ByteRange> kept = new ArrayList<>();
    for (ByteRange r : list()) {
      if (r.last() < range.first() || r.first() > range.last()) {
        kept.add(r);
        continue;
      }
      if (r.first() < range.first()) {
        kept.add(new ByteRange(r.first(), range.first() - 1));
      }
      if (r.last() > range.last()) {
        kept.add(new ByteRange(range.last() + 1, r.last()));
      }
    }
    ranges.clear();
    kept.forEach(r -> ranges.put(r.first(), r.last()));
  }

  boolean contains(ByteRange range) {
    Map.Entry<Long, Long> around = ranges.floorEntry(range.first());
    return around != null && around.getValue() >= range.last();
  }

  long bytes() {
    long sum = 0;
    for (Map.Entry<Long, Long> e : ranges.entrySet()) {
      sum += e.getValue() - e.getKey() + 1;
    }
    return sum;
  }

  /** The last offset in the set, or -1 when empty. */
  long end() {
    return ranges.isEmpty() ? -1 : ranges.lastEntry().getValue();
  }

  /** The ranges of {@code [0, size)} not in this set. */
  List<ByteRange> gaps(long size) {
    List<ByteRange> gaps = new ArrayList<>();
    long next = 0;
    for (Map.Entry<Long, Long> e : ranges.entrySet()) {
      if (e.getKey() > next) {
        gaps.add(new ByteRange(next, Math.min(e.getKey(), size) - 1));
      }
      next = e.getValue() + 1;
      if (next >= size) {
        break;
      }
    }
    if (next < size) {
      gaps.add(new ByteRange(next, size - 1));
    }
    return gaps;
  }

  List<ByteRange> list() {
    List<ByteRange> list = new ArrayList<>();
    ranges.forEach((first, last) -> list.add(new ByteRange(first, last)));
    return list;
  }

  /** The ranges as text, {@code first-last} comma-separated, as control files keep them. */
  String text() {
    StringBuilder text = new StringBuilder();
    ranges.forEach((first, last) -> text.append(text.isEmpty() ? "" : ",").append(first)
        .append('-').append(last));
    return text.toString();
  }

  /**
   * Reads what {@link #text()} writes.
   *
   * @throws IllegalArgumentException if {@code text} is not such a list
   */
  static RangeSet parse(String text) {
    RangeSet set = new RangeSet();
    if (!text.isBlank()) {
      for (String range : text.split(",")) {
        String[] ends = range.trim().split("-");
        if (ends.length != 2) {
          throw new IllegalArgumentException("\"" + range + "\" is not a range first-last");
        }
        set.add(new ByteRange(Long.parseLong(ends[0]), Long.parseLong(ends[1])));
      }
    }
    return set;
  }

  RangeSet copy() {
    RangeSet copy = new RangeSet();
    copy.ranges.putAll(ranges);
    return copy;
  }

  @Override
  public String toString() {
    return list().toString();
  }
}
