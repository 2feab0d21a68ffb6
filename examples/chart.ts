// A link artifact and an image artifact: the flow draws a bar chart of the largest cities as a PNG in the
// workspace (plain Node: zlib and a CRC, no packages), then publishes it and a link to its source.
//
//   npx flowline run examples/chart.ts
//
// The Artifacts view lists "cities-chart" (an image: open it to see the chart) and "cities-source" (a link
// that opens in the browser, through VS Code).
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { createImageArtifact, createLinkArtifact, flow, task } from "flowline";

const CITIES: Array<[string, number]> = [["Tokyo", 37.1], ["Delhi", 33.8], ["Shanghai", 29.9], ["Dhaka", 23.9], ["São Paulo", 22.8], ["Cairo", 22.6]];

/** A PNG of bars, one per value, scaled to the largest (RGB, 8 bits a channel). */
export function barChartPng(values: number[], width = 360, height = 200): Buffer {
  const pixels = Buffer.alloc(height * (1 + width * 3), 255); // white, each row led by filter byte 0
  const bar = Math.floor(width / values.length);
  const max = Math.max(...values);
  values.forEach((v, i) => {
    const top = height - Math.round((v / max) * (height - 10));
    for (let y = top; y < height; y++) {
      for (let x = i * bar + 6; x < (i + 1) * bar - 6; x++) pixels.set([0x1f, 0x77, 0xb4], y * (1 + width * 3) + 1 + x * 3);
    }
  });
  for (let y = 0; y < height; y++) pixels[y * (1 + width * 3)] = 0;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", zlib.deflateSync(pixels)), chunk("IEND", Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes: Buffer): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

const drawChart = task({ name: "draw-chart" }, async () => {
  fs.writeFileSync("cities-chart.png", barChartPng(CITIES.map(([, millions]) => millions)));
  return "cities-chart.png";
});

export const chart = flow({ name: "chart" }, async () => {
  const file = await drawChart();
  await createImageArtifact(file, { key: "cities-chart", description: `Population in millions: ${CITIES.map(([city, m]) => `${city} ${m}`).join(", ")}.` });
  await createLinkArtifact("https://en.wikipedia.org/wiki/List_of_largest_cities", { key: "cities-source", linkText: "Largest cities (Wikipedia)" });
});
