// Shows when the page was uploaded: the Last-Modified header that
// CloudFront passes on from S3.
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("deployed-at");
  const modified = new Date(document.lastModified);
  if (el && !Number.isNaN(modified.getTime())) {
    el.textContent = "on " + modified.toLocaleString();
  }
});
