// Preloaded into a measured process (node --require): its peak RSS, reported on exit.
process.on('exit', () => process.stderr.write(`\nmaxrss-kb ${process.resourceUsage().maxRSS}\n`));
