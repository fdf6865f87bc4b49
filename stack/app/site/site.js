// The sample site's tracking. Every event goes through divolte.signal (divolte.js comes from the
// collector); event types and parameters are the ones the dashboards count
// (superset_divolte/events.py, docs/metrics.md).
(function () {
  "use strict";
  var EXPERIMENT = "pricing-cta";
  var VARIANTS = ["control", "treatment"];
  var VARIANT_KEY = "superset-divolte.variant";

  function storedVariant() {
    try { return window.localStorage.getItem(VARIANT_KEY); } catch (e) { return null; }
  }

  // A visitor (this browser) gets a variant the first time they see the pricing page, and keeps it.
  function assignVariant() {
    var variant = storedVariant();
    if (VARIANTS.indexOf(variant) < 0) {
      variant = VARIANTS[Math.floor(Math.random() * VARIANTS.length)];
      try { window.localStorage.setItem(VARIANT_KEY, variant); } catch (e) { /* private mode: per page */ }
    }
    return variant;
  }

  // Once enrolled, every event carries the experiment and the variant.
  function parameters(extra) {
    var result = {};
    var variant = storedVariant();
    if (VARIANTS.indexOf(variant) >= 0) {
      result.experiment = EXPERIMENT;
      result.variant = variant;
    }
    Object.keys(extra || {}).forEach(function (name) { result[name] = extra[name]; });
    return result;
  }

  function signal(type, extra) {
    if (window.divolte) {
      window.divolte.signal(type, parameters(extra));
    }
  }

  // Leave the page only once Divolte has the event: pending events are dropped on navigation.
  function signalThenGo(type, url) {
    signal(type);
    if (window.divolte && window.divolte.whenCommitted) {
      window.divolte.whenCommitted(function () { window.location.href = url; }, 1000);
    } else {
      window.location.href = url;
    }
  }

  var pages = {
    home: function () {
      document.querySelectorAll("[data-technology]").forEach(function (logo) {
        logo.addEventListener("click", function () {
          signal("click", { technology: logo.getAttribute("data-technology") });
          logo.classList.add("clicked");
        });
      });
    },
    pricing: function () {
      var variant = assignVariant();
      document.body.setAttribute("data-variant", variant);
      signal("pricingView");
      document.getElementById("cta").addEventListener("click", function () {
        signalThenGo("signupStart", "/signup");
      });
    },
    signup: function () {
      document.getElementById("signup-form").addEventListener("submit", function (event) {
        event.preventDefault();
        signalThenGo("signupComplete", "/welcome");
      });
    },
    welcome: function () {
      document.getElementById("buy").addEventListener("click", function () {
        signal("purchase");
        document.getElementById("thanks").hidden = false;
      });
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    signal("pageView");
    var page = pages[document.body.getAttribute("data-page")];
    if (page) {
      page();
    }
  });
})();
