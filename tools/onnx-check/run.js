// Runs an ONNX model in ONNX Runtime (CPU) on a batch of float32 inputs and writes every output, so that a test in
// another language can compare them with its own numbers.
//   node run.js MODEL.onnx INPUTS.bin OUTPUTS.bin
// INPUTS.bin (little-endian): int32 count, then per case int32 rank, int32 dims[rank], float32 data, fed to the
// model's first input. OUTPUTS.bin: per case int32 outputs, then per model output in session order: int32 type
// (1 = float32, 7 = int64), int32 rank, int32 dims[rank], then the data.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function readCases(path) {
  const buf = fs.readFileSync(path);
  let at = 0;
  const int32 = () => { const v = buf.readInt32LE(at); at += 4; return v; };
  const count = int32();
  const cases = [];
  for (let c = 0; c < count; c++) {
    const dims = Array.from({ length: int32() }, int32);
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++, at += 4) data[i] = buf.readFloatLE(at);
    cases.push(new ort.Tensor('float32', data, dims));
  }
  if (at !== buf.length) throw new Error(`${path}: ${buf.length - at} bytes left after ${count} cases`);
  return cases;
}

function encode(tensor) {
  const types = { float32: 1, int64: 7 };
  if (!(tensor.type in types)) throw new Error(`output type ${tensor.type} is not float32 or int64`);
  const head = Buffer.alloc(8 + 4 * tensor.dims.length);
  head.writeInt32LE(types[tensor.type], 0);
  head.writeInt32LE(tensor.dims.length, 4);
  tensor.dims.forEach((d, i) => head.writeInt32LE(d, 8 + 4 * i));
  const data = tensor.data;
  return Buffer.concat([head, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

async function main() {
  const [model, inputs, outputs] = process.argv.slice(2);
  if (!outputs) throw new Error('usage: node run.js MODEL.onnx INPUTS.bin OUTPUTS.bin');
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const parts = [];
  for (const input of readCases(inputs)) {
    const result = await session.run({ [session.inputNames[0]]: input });
    const count = Buffer.alloc(4);
    count.writeInt32LE(session.outputNames.length, 0);
    parts.push(count);
    for (const name of session.outputNames) parts.push(encode(result[name]));
  }
  fs.writeFileSync(outputs, Buffer.concat(parts));
  console.log(`onnxruntime-node ${ort.env.versions.node}: ${session.outputNames.join(', ')}`);
}

main().catch(e => { console.error(`error: ${e.message}`); process.exit(1); });
