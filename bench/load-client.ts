/**
 * A load client for the benchmarks, run as its own process: `node load-client.js URL SECONDS CONNECTIONS
 * [COOKIE]` keeps CONNECTIONS keep-alive connections busy with GET URL for SECONDS and prints
 * `{ "requests": n, "seconds": s }`.
 */
import http from "node:http";

const [url = "", seconds = "3", connections = "8", cookie] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connections) });
const deadline = Date.now() + Number(seconds) * 1000;
let requests = 0;

function one(): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: cookie ? { cookie } : {} }, (response) => {
        response.resume();
        response.on("end", () => {
          if (response.statusCode !== 200) reject(new Error(`status ${response.statusCode}`));
          else resolve();
        });
      })
      .on("error", reject);
  });
}

async function loop(): Promise<void> {
  while (Date.now() < deadline) {
    await one();
    requests++;
  }
}

const started = Date.now();
await Promise.all(Array.from({ length: Number(connections) }, loop));
process.stdout.write(JSON.stringify({ requests, seconds: (Date.now() - started) / 1000 }));
agent.destroy();
