"""The words of the jobs pages and their French text."""

from __future__ import annotations

STATUS_BADGES = {"queued": "muted", "running": "", "done": "ok", "dead": "bad"}

FRENCH = {
    "Jobs": "Tâches",
    "Background jobs": "Tâches de fond",
    "Dead letters": "Tâches abandonnées",
    "Dead letters: jobs that failed on every attempt.": (
        "Tâches abandonnées : elles ont échoué à chaque tentative."
    ),
    "queued": "en attente",
    "done": "faite",
    "dead": "abandonnée",
    "All jobs": "Toutes les tâches",
    "Attempts": "Tentatives",
    "Run after": "Exécuter après",
    "Last error": "Dernière erreur",
    "Locked by": "Prise par",
    "Payload": "Données",
    "Retry": "Relancer",
    "Job queued again.": "Tâche relancée.",
    "No job.": "Aucune tâche.",
    "Job": "Tâche",
}
