// A small canvas chart of two series by update (the GAN's losses; the VAE's reconstruction and KL).

const COLOURS = ["#f59322", "#0877bd"];
const MAX_POINTS = 600;

export function createLineChart(canvas, names) {
  let series = names.map(() => []);
  let xs = [];

  function draw() {
    const ctx = canvas.getContext("2d");
    const { width, height } = canvas;
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, height);
    const values = series.flat().filter(Number.isFinite);
    if (xs.length < 2 || !values.length) return;
    let low = Math.min(...values);
    let high = Math.max(...values);
    if (high === low) high = low + 1;
    const pad = 36;
    const x = (i) => pad + ((xs[i] - xs[0]) / Math.max(1, xs[xs.length - 1] - xs[0])) * (width - pad - 8);
    const y = (v) => height - 16 - ((v - low) / (high - low)) * (height - 28);
    ctx.fillStyle = "#5f6368";
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillText(high.toPrecision(3), 2, 14);
    ctx.fillText(low.toPrecision(3), 2, height - 16);
    ctx.fillText(String(xs[xs.length - 1]), width - 40, height - 2);
    series.forEach((values, k) => {
      ctx.strokeStyle = COLOURS[k % COLOURS.length];
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let started = false;
      values.forEach((v, i) => {
        if (!Number.isFinite(v)) return;
        if (started) ctx.lineTo(x(i), y(v));
        else ctx.moveTo(x(i), y(v));
        started = true;
      });
      ctx.stroke();
    });
  }

  return {
    add(update, values) {
      if (xs.length && update < xs[xs.length - 1]) this.reset();
      if (xs.length && update === xs[xs.length - 1]) {
        series.forEach((s, k) => (s[s.length - 1] = values[k]));
      } else {
        xs.push(update);
        series.forEach((s, k) => s.push(values[k]));
      }
      if (xs.length > MAX_POINTS) {
        xs = xs.filter((_, i) => i % 2 === 0);
        series = series.map((s) => s.filter((_, i) => i % 2 === 0));
      }
      draw();
    },
    reset() {
      xs = [];
      series = names.map(() => []);
      draw();
    },
  };
}
