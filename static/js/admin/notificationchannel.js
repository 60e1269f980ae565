// The notification channel form: only the chosen kind's fields are shown (each input names
// its kinds in data-kinds). Without a kind chosen, or without this script, all are shown.
// Loaded in the admin's <head>, so it waits for the form.
document.addEventListener("DOMContentLoaded", () => {
  const kind = document.getElementById("id_kind");
  if (!kind) return;  // a reader's view-only page

  function showKindFields() {
    for (const input of document.querySelectorAll("[data-kinds]")) {
      const row = input.closest(".form-row");
      const used = !kind.value || input.dataset.kinds.split(" ").includes(kind.value);
      if (row) row.style.display = used ? "" : "none";
    }
  }

  kind.addEventListener("change", showKindFields);
  showKindFields();
});
