// The throughput chart: jobs completed and failed per minute, drawn as stacked SVG bars. Plain
// DOM calls, no library; every text goes in through textContent.
const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 720;
const HEIGHT = 160;
const LEFT = 36;
const BOTTOM = 20;
const MINUTE_MS = 60_000;

function svg(tag, attributes) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

function text(x, y, content, anchor = 'start') {
  const label = svg('text', { x, y, 'text-anchor': anchor, class: 'axis' });
  label.textContent = content;
  return label;
}

/** Sums the per-queue counts into one bucket per minute from `sinceMs`, for `minutes` minutes. */
export function bucketByMinute(counts, sinceMs, minutes) {
  const buckets = Array.from({ length: minutes }, (_, index) => ({
    minuteMs: sinceMs + index * MINUTE_MS,
    completed: 0,
    failed: 0,
  }));
  for (const count of counts) {
    const index = Math.floor((Date.parse(count.minute) - sinceMs) / MINUTE_MS);
    if (index < 0 || index >= minutes) continue;
    buckets[index].completed += count.completed;
    buckets[index].failed += count.failed;
  }
  return buckets;
}

/** Replaces the content of `container` with a chart of `buckets` (see bucketByMinute). */
export function drawThroughput(container, buckets) {
  const chart = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img',
    'aria-label': 'jobs completed and failed per minute over the last hour',
  });
  const plotWidth = WIDTH - LEFT;
  const plotHeight = HEIGHT - BOTTOM - 8;
  const most = Math.max(1, ...buckets.map((bucket) => bucket.completed + bucket.failed));
  const step = plotWidth / buckets.length;
  const scale = (n) => (n / most) * plotHeight;

  chart.append(
    svg('line', {
      x1: LEFT,
      y1: 8 + plotHeight,
      x2: WIDTH,
      y2: 8 + plotHeight,
      class: 'axis-line',
    }),
  );
  chart.append(text(LEFT - 4, 14, String(most), 'end'), text(LEFT - 4, 8 + plotHeight, '0', 'end'));
  buckets.forEach((bucket, index) => {
    const x = LEFT + index * step + 1;
    const width = Math.max(1, step - 2);
    const time = new Date(bucket.minuteMs).toLocaleTimeString([], {
      hour: '2-digit',
      minute: '2-digit',
    });
    const group = svg('g', {});
    const title = svg('title', {});
    title.textContent = `${time}: ${bucket.completed} completed, ${bucket.failed} failed`;
    group.append(title);
    const completedHeight = scale(bucket.completed);
    const failedHeight = scale(bucket.failed);
    const base = 8 + plotHeight;
    group.append(
      svg('rect', {
        x,
        width,
        y: base - completedHeight,
        height: completedHeight,
        class: 'bar-completed',
      }),
      svg('rect', {
        x,
        width,
        y: base - completedHeight - failedHeight,
        height: failedHeight,
        class: 'bar-failed',
      }),
    );
    chart.append(group);
    if (index % 15 === 0 || index === buckets.length - 1) {
      chart.append(text(x + width / 2, HEIGHT - 4, time, 'middle'));
    }
  });
  container.replaceChildren(chart);
}
