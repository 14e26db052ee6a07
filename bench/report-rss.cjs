// Preloaded into a measured process (node --require): its peak RSS and CPU time (all threads), reported on exit.
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`\nmaxrss-kb ${u.maxRSS} user-us ${u.userCPUTime} system-us ${u.systemCPUTime}\n`);
});
