// Acme's page script. It reads the flag values Swerve put in the page (no SDK, no extra
// request) and reports one event back to Swerve.
(function () {
  var flags = {};
  var node = document.getElementById("swerve-flags");
  if (node) {
    try { flags = JSON.parse(node.textContent); } catch (error) { flags = {}; }
  }
  window.swerveFlags = flags;

  var search = document.getElementById("search-provider");
  if (search && flags["docs-search"]) {
    search.textContent = "Search powered by " + flags["docs-search"].provider;
  }

  var compare = document.getElementById("compare-plans");
  if (compare) {
    compare.addEventListener("click", function () {
      fetch("/__swerve/event", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ event: "plans_compared" }),
      }).then(function (response) {
        compare.textContent = response.status === 204 ? "Plans compared" : "Compare plans";
        document.getElementById("plan-details").hidden = false;
      });
    });
  }
})();
