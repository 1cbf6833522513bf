// Decode grayscale frames with Morrow's vendored jsQR, as the scanner does.
// stdin: JSON [{"path", "width", "height"}]; stdout: JSON [hex of the bytes | null].
const fs = require("fs");
const path = require("path");
const jsQR = require(path.join(__dirname, "..", "static", "vendor", "jsqr", "jsQR.js"));

const frames = JSON.parse(fs.readFileSync(0, "utf8"));
const results = frames.map(({ path: file, width, height }) => {
  const gray = fs.readFileSync(file);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < gray.length; i += 1) {
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = gray[i];
    rgba[4 * i + 3] = 255;
  }
  // The scanner's own options (static/js/scan.js).
  const code = jsQR(rgba, width, height, { inversionAttempts: "dontInvert" });
  return code ? Buffer.from(code.binaryData).toString("hex") : null;
});
process.stdout.write(JSON.stringify(results));
